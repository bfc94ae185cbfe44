using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Runtime;
using MlNetTts.Tacotron2;
using MlNetTts.Training;
using MlNetTts.Voices;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>Loads the models <c>synthesize</c> and <c>bench</c> run, and checks that they fit together.</summary>
internal static class ModelLoading
{
    /// <summary>"fp32" or "mixed" as a <see cref="Precision"/>.</summary>
    public static Precision ParsePrecision(string name) => name == "mixed" ? Precision.Mixed : Precision.Float32;

    /// <summary>A Tacotron 2 from an NGC/NVIDIA checkpoint, or with random weights in the default (full) configuration.</summary>
    public static Tacotron2Model Tacotron2(string? checkpoint, Precision precision)
    {
        TorchRuntime.EnsureLoaded();
        // Tacotron2Trainer.LoadModel reads NVIDIA's checkpoints and our training checkpoints alike.
        var model = checkpoint is null ? new Tacotron2Model(new Tacotron2Config()) : Tacotron2Trainer.LoadModel(RequireFile(checkpoint, "--tacotron2"));
        model.eval();
        model.Precision = precision;
        return model;
    }

    /// <summary>A voice folder's Tacotron 2.</summary>
    public static Tacotron2Model Tacotron2(Voice voice, Precision precision)
    {
        TorchRuntime.EnsureLoaded();
        var model = voice.CreateTacotron2();
        model.Precision = precision;
        return model;
    }

    /// <summary>The voice folder given by --voice, or the bundled default voice.</summary>
    public static Voice LoadVoice(string? directory)
    {
        if (directory is null) return MlNetTts.Voices.Voice.LoadDefault();
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"--voice {directory}: no such folder.");
        return MlNetTts.Voices.Voice.Load(directory);
    }

    /// <summary>
    /// The vocoder: WaveGlow (checkpoint, or random weights in the default configuration when <paramref name="waveglowCheckpoint"/>
    /// is null and <paramref name="allowRandom"/>) or Griffin-Lim; fails with both file names when its mel channels differ from Tacotron 2's.
    /// </summary>
    public static IVocoder Vocoder(string kind, string? waveglowCheckpoint, bool allowRandom, Tacotron2Model tacotron2, string tacotron2Name,
        Precision precision, double sigma, double denoiserStrength, int griffinLimIterations, double melFMax, Generator? generator)
    {
        int mels = tacotron2.Config.MelChannels;
        if (kind == "griffin-lim")
            return new GriffinLimVocoder(new MelSettings { MelChannels = mels, FMax = melFMax }, griffinLimIterations, generator);
        if (waveglowCheckpoint is null && !allowRandom)
            throw new UsageException("--vocoder waveglow needs --waveglow PATH (a WaveGlow checkpoint); or use --vocoder griffin-lim.");
        var waveglow = waveglowCheckpoint is null
            ? new WaveGlowModel(new WaveGlowConfig(), weightNorm: false)
            : WaveGlowModel.FromCheckpoint(RequireFile(waveglowCheckpoint, "--waveglow"), weightNorm: false);
        if (waveglow.Config.NMelChannels != mels)
        {
            string name = waveglowCheckpoint ?? "the default WaveGlow";
            waveglow.Dispose();
            throw new InvalidDataException(
                $"{name} expects {waveglow.Config.NMelChannels} mel channels but {tacotron2Name} produces {mels}; use a WaveGlow trained on the same mel settings, or --vocoder griffin-lim.");
        }
        waveglow.eval();
        waveglow.Precision = precision;
        return new WaveGlowVocoder(waveglow, sigma, denoiserStrength, generator);
    }

    private static string RequireFile(string path, string option) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"{option} {path}: no such file.", path);
}
