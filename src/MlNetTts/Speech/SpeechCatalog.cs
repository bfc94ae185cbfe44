using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using MlNetTts.Voices;
using MlNetTts.WaveGlow;

namespace MlNetTts;

/// <summary>
/// MlNetTts's speech transforms on <c>mlContext.Transforms</c>: TextToMel (Tacotron 2, "Text" -> "Mel") and MelToAudio
/// (WaveGlow or Griffin-Lim, "Mel" -> "Audio"), each with flat overloads and an options overload, as ML.NET's catalogs.
/// The device comes from <c>MLContext.GpuDeviceId</c> / <c>FallbackToCpu</c>, the seed from the MLContext.
/// </summary>
public static class SpeechCatalog
{
    /// <summary>TextToMel from an NVIDIA Tacotron 2 checkpoint (read at Fit).</summary>
    public static TextToMelEstimator TextToMel(this TransformsCatalog catalog, string checkpointPath,
        string outputColumnName = TextToMelOptions.DefaultOutputColumnName,
        string inputColumnName = TextToMelOptions.DefaultInputColumnName,
        int batchSize = TextToMelOptions.DefaultBatchSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        return catalog.TextToMel(new TextToMelOptions { CheckpointPath = checkpointPath, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, BatchSize = batchSize });
    }

    /// <summary>TextToMel with a built Tacotron 2 model.</summary>
    public static TextToMelEstimator TextToMel(this TransformsCatalog catalog, Tacotron2Model model,
        string outputColumnName = TextToMelOptions.DefaultOutputColumnName,
        string inputColumnName = TextToMelOptions.DefaultInputColumnName,
        int batchSize = TextToMelOptions.DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        return catalog.TextToMel(new TextToMelOptions { Model = model, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, BatchSize = batchSize });
    }

    /// <summary>
    /// TextToMel speaking with a voice folder (<see cref="Voice.LoadDefault"/> for the bundled one): its Tacotron 2, its
    /// mel settings (so MelToAudio's Griffin-Lim inverts the right spectrogram), its sentence length and its draws per
    /// sentence (<see cref="VoiceManifest.Candidates"/>) and its pronunciations (<see cref="VoiceManifest.PronunciationsFile"/>).
    /// </summary>
    public static TextToMelEstimator TextToMel(this TransformsCatalog catalog, Voice voice,
        string outputColumnName = TextToMelOptions.DefaultOutputColumnName,
        string inputColumnName = TextToMelOptions.DefaultInputColumnName,
        int batchSize = TextToMelOptions.DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(voice);
        return catalog.TextToMel(new TextToMelOptions
        {
            Model = voice.CreateTacotron2(),
            MelSettings = voice.Manifest.Mel,
            SentenceMaxLength = voice.Manifest.SentenceMaxLength,
            Candidates = voice.Manifest.Candidates,
            Pronunciations = voice.Pronunciations,
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            BatchSize = batchSize,
        });
    }

    /// <summary>TextToMel with every option.</summary>
    public static TextToMelEstimator TextToMel(this TransformsCatalog catalog, TextToMelOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TextToMelEstimator(catalog.GetEnvironment(), options);
    }

    /// <summary>MelToAudio by WaveGlow from an NVIDIA checkpoint (read at Fit).</summary>
    public static MelToAudioEstimator MelToAudio(this TransformsCatalog catalog, string checkpointPath,
        string outputColumnName = MelToAudioOptions.DefaultOutputColumnName,
        string inputColumnName = MelToAudioOptions.DefaultInputColumnName,
        double sigma = MelToAudioOptions.DefaultSigma,
        double denoiserStrength = Denoiser.DefaultStrength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        return catalog.MelToAudio(new MelToAudioOptions
        {
            CheckpointPath = checkpointPath, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Sigma = sigma, DenoiserStrength = denoiserStrength,
        });
    }

    /// <summary>MelToAudio by a built WaveGlow.</summary>
    public static MelToAudioEstimator MelToAudio(this TransformsCatalog catalog, WaveGlowModel model,
        string outputColumnName = MelToAudioOptions.DefaultOutputColumnName,
        string inputColumnName = MelToAudioOptions.DefaultInputColumnName,
        double sigma = MelToAudioOptions.DefaultSigma,
        double denoiserStrength = Denoiser.DefaultStrength)
    {
        ArgumentNullException.ThrowIfNull(model);
        return catalog.MelToAudio(new MelToAudioOptions
        {
            Model = model, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Sigma = sigma, DenoiserStrength = denoiserStrength,
        });
    }

    /// <summary>MelToAudio by Griffin-Lim (no model; mel settings from the column's annotations).</summary>
    public static MelToAudioEstimator MelToAudioGriffinLim(this TransformsCatalog catalog,
        string outputColumnName = MelToAudioOptions.DefaultOutputColumnName,
        string inputColumnName = MelToAudioOptions.DefaultInputColumnName,
        int iterations = Audio.GriffinLim.DefaultIterations,
        double melSharpening = 0) =>
        catalog.MelToAudio(new MelToAudioOptions
        {
            Vocoder = MelVocoder.GriffinLim, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, GriffinLimIterations = iterations,
            MelSharpening = melSharpening,
        });

    /// <summary>MelToAudio with every option.</summary>
    public static MelToAudioEstimator MelToAudio(this TransformsCatalog catalog, MelToAudioOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MelToAudioEstimator(catalog.GetEnvironment(), options);
    }
}
