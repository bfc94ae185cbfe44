using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Speech;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Speech;

/// <summary>Scoring many rows does not grow memory: tensors live only inside each batch.</summary>
[TestClass]
public sealed class SpeechMemoryTests
{
    /// <summary>Managed heap growth allowed between row 200 and row 1,000 (after a full GC): the per-batch buffers are reused or collected.</summary>
    private const long ManagedBound = 8L << 20;

    /// <summary>
    /// Process RSS growth allowed in each of the two 400-row halves of that span: allocator and GC slack, which levels
    /// off, where a leak grows in both halves alike. Measured per half (a full GC between them) because the RSS at one
    /// end alone depends on when the GC last released memory: 75-87 MB over the whole span without the middle
    /// collection, 22-30 MB with it, on the same build (session 8).
    /// </summary>
    private const long ResidentBound = 48L << 20;

    [TestMethod]
    public void ScoringAThousandShortRowsKeepsManagedAndNativeMemoryFlat()
    {
        var ml = new MLContext(seed: 1);
        var words = string.Join(" ", SpeechFixture.Sentences).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var rows = Enumerable.Range(0, 1000).Select(i => new TextRow { Text = words[i % words.Length] + " " + words[(i * 3 + 1) % words.Length] }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.TextToMel(new TextToMelOptions
        {
            CheckpointPath = SpeechFixture.Tacotron2Checkpoint, BatchSize = 16, PrenetDropout = false, MaxDecoderSteps = 12, AlignmentColumnName = "Alignment",
        }).Append(ml.Transforms.MelToAudioGriffinLim(iterations: 2));
        var scored = pipeline.Fit(data).Transform(data);

        using var cursor = scored.GetRowCursor(new[] { scored.Schema["Audio"], scored.Schema["Alignment"] });
        var audio = cursor.GetGetter<VBuffer<float>>(scored.Schema["Audio"]);
        var alignment = cursor.GetGetter<VBuffer<float>>(scored.Schema["Alignment"]);
        VBuffer<float> a = default, b = default;
        (long Managed, long Resident, long Tensors) warm = default, middle = default;
        int count = 0;
        while (cursor.MoveNext())
        {
            audio(ref a);
            alignment(ref b);
            Assert.IsGreaterThan(0, a.Length);
            if (++count == 200) warm = Measure();
            if (count == 600) middle = Measure();
        }
        Assert.AreEqual(1000, count);
        var end = Measure();
        Assert.AreEqual(warm.Tensors, end.Tensors, "live TorchSharp tensors after warm-up");
        Assert.IsLessThan(ManagedBound, end.Managed - warm.Managed, $"managed heap grew by {end.Managed - warm.Managed} bytes");
        Assert.IsLessThan(ResidentBound, middle.Resident - warm.Resident, $"resident memory grew by {middle.Resident - warm.Resident} bytes over rows 200-600");
        Assert.IsLessThan(ResidentBound, end.Resident - middle.Resident, $"resident memory grew by {end.Resident - middle.Resident} bytes over rows 600-1,000");
    }

    private static (long Managed, long Resident, long Tensors) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64, Tensor.TotalCount);
    }
}
