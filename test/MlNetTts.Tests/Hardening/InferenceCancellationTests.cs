using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Cancelling a decode that would otherwise run for minutes (a gate that never fires and a step cap of 100,000) stops it
/// within one decoder step: Tacotron2Model.Infer and TextToMel's cursor throw <see cref="OperationCanceledException"/> promptly.
/// </summary>
[TestClass]
public sealed class InferenceCancellationTests
{
    private const int EndlessSteps = 100_000;
    private static readonly TimeSpan CancelAfter = TimeSpan.FromMilliseconds(300);

    /// <summary>How long after the request the decode may still run: generous for a loaded machine, far below the uncancelled minutes.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);

    [TestMethod]
    public void Tacotron2InferStopsWithinAStepOfCancellation()
    {
        using var model = TinySpeechPipeline.NewModel();
        model.eval();
        using var scope = NewDisposeScope();
        var text = tensor(new long[] { 5, 9, 12, 30, 41, 7, 22, 3 }, new long[] { 2, 4 });
        var lengths = tensor(new long[] { 4, 4 });
        using var cancel = new CancellationTokenSource();
        var options = new Tacotron2InferenceOptions { MaxDecoderSteps = EndlessSteps, GateThreshold = 1 - 1e-9, CancellationToken = cancel.Token };

        var late = Stopwatch.StartNew();
        cancel.Token.Register(late.Restart);
        cancel.CancelAfter(CancelAfter);
        Assert.Throws<OperationCanceledException>(() => model.Infer(text, lengths, options));
        Assert.IsLessThan(Prompt, late.Elapsed, $"stopped {late.Elapsed.TotalMilliseconds:F0} ms after the request");
    }

    [TestMethod]
    public void TextToMelScoringStopsMidBatchWhenCancelled()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TinySpeechPipeline.ShortTexts(4));
        using var cancel = new CancellationTokenSource();
        var scored = ml.Transforms.TextToMel(new TextToMelOptions
        {
            Model = TinySpeechPipeline.NewModel(), MelSettings = TinySpeechPipeline.Mel, BatchSize = 4, PrenetDropout = false,
            MaxDecoderSteps = EndlessSteps, GateThreshold = 1 - 1e-9, InferenceCancellation = cancel.Token,
        }).Fit(data).Transform(data);
        var column = scored.Schema["Mel"];
        using var cursor = scored.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> mel = default;

        var late = Stopwatch.StartNew();
        cancel.Token.Register(late.Restart);
        cancel.CancelAfter(CancelAfter);
        Assert.Throws<OperationCanceledException>(() =>
        {
            while (cursor.MoveNext()) get(ref mel);
        });
        Assert.IsLessThan(Prompt, late.Elapsed, $"stopped {late.Elapsed.TotalMilliseconds:F0} ms after the request");
    }
}
