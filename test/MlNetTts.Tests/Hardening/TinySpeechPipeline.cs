using Microsoft.ML;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Speech;
using MlNetTts.Tests.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// The full text-to-waveform pipeline kept small enough to score thousands of rows in seconds: a randomly initialised
/// tiny Tacotron 2 (the synthetic training tests' sizes, with the real symbol set so any text encodes) that decodes a
/// fixed number of steps (its untrained gate is ignored), no prenet dropout (deterministic), then Griffin-Lim with two
/// iterations on a small 8 kHz STFT.
/// </summary>
internal static class TinySpeechPipeline
{
    public const int MaxDecoderSteps = 8;

    public static MelSettings Mel { get; } = new()
    {
        SampleRate = 8000, FilterLength = 256, HopLength = 64, WinLength = 256, MelChannels = SyntheticSpeech.MelChannels, FMax = 4000,
    };

    public static Tacotron2Model NewModel()
    {
        manual_seed(7);
        return new Tacotron2Model(SyntheticSpeech.TinyConfig with { SymbolCount = new Tacotron2Config().SymbolCount, MaxDecoderSteps = MaxDecoderSteps });
    }

    /// <summary>Fits TextToMel (owning <see cref="NewModel"/>) then MelToAudio Griffin-Lim.</summary>
    public static ITransformer Fit(MLContext ml, IDataView data, int batchSize = 16) =>
        ml.Transforms.TextToMel(new TextToMelOptions
        {
            Model = NewModel(), MelSettings = Mel, BatchSize = batchSize, PrenetDropout = false, MaxDecoderSteps = MaxDecoderSteps,
            GateThreshold = 1 - 1e-9, // an untrained gate would stop anywhere; decode every row to the cap
        }).Append(ml.Transforms.MelToAudioGriffinLim(iterations: 2)).Fit(data);

    /// <summary><paramref name="count"/> short texts (one or two words of the fixture sentences).</summary>
    public static TextRow[] ShortTexts(int count)
    {
        var words = string.Join(" ", SpeechFixture.Sentences).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return Enumerable.Range(0, count).Select(i => new TextRow
        {
            Text = i % 3 == 0 ? words[i % words.Length] : words[i % words.Length] + " " + words[(i * 7 + 1) % words.Length],
            Id = $"row{i}",
        }).ToArray();
    }
}
