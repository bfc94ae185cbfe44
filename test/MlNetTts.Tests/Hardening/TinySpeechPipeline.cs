using Microsoft.ML;
using MlNetTts.Speech;
using MlNetTts.Tests.Speech;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// The full text-to-waveform pipeline kept small enough to score thousands of rows in seconds: the fixture Tacotron 2
/// with a low decoder step cap and no prenet dropout (deterministic), then Griffin-Lim with two iterations.
/// </summary>
internal static class TinySpeechPipeline
{
    public const int MaxDecoderSteps = 12;

    public static ITransformer Fit(MLContext ml, IDataView data, int batchSize = 16) =>
        ml.Transforms.TextToMel(new TextToMelOptions
        {
            CheckpointPath = SpeechFixture.Tacotron2Checkpoint, BatchSize = batchSize, PrenetDropout = false, MaxDecoderSteps = MaxDecoderSteps,
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
