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
            using var scope = NewDisposeScope();
            var mel = melBatch[b, .., ..frames[b]].to(ScalarType.Float32).cpu();
            audio.Add(GriffinLim.FromLogMel(mel, _mel, iterations, generator).contiguous().data<float>().ToArray());
        }
        return audio;
    }

    public void Dispose() => _mel.Dispose();
}
