using MlNetTts.Audio;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>Griffin-Lim from log-mels (NVIDIA's audio_processing.griffin_lim): needs no trained vocoder, sounds rough.</summary>
internal sealed class GriffinLimVocoder(MelSettings settings, int iterations, Generator? generator) : IVocoder
{
    private readonly MelSpectrogram _mel = new(settings);

    public string Name => "griffin-lim";

    public int MelChannels => _mel.Settings.MelChannels;

    public IReadOnlyList<float[]> Vocode(Tensor melBatch, IReadOnlyList<int> frames)
    {
        var audio = new List<float[]>(frames.Count);
        for (int b = 0; b < frames.Count; b++)
        {
            // The STFT's reflect padding needs more than half a window of signal; a model that stops at once gives none.
            if ((long)(frames[b] - 1) * _mel.Settings.HopLength <= _mel.Settings.FilterLength / 2)
            {
                audio.Add([]);
                continue;
            }
            using var scope = NewDisposeScope();
            var mel = melBatch[b, .., ..frames[b]].to(ScalarType.Float32).cpu();
            audio.Add(TensorValues.Floats(GriffinLim.FromLogMel(mel, _mel, iterations, generator)));
        }
        return audio;
    }

    public void Dispose() => _mel.Dispose();
}
