using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Tests.Speech;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// 10,000 rows through the full pipeline (TextToMel then MelToAudio Griffin-Lim) in one cursor: the process's resident
/// memory after warm-up stays within a bound and no TorchSharp tensor outlives its batch.
/// </summary>
[TestClass]
public sealed class SoakTests
{
    private const int Rows = 10_000;
    private const int WarmUpRows = 500;

    /// <summary>RSS growth allowed from row 500 to row 10,000: allocator slack; leaking even 1 KB a row would pass 9.5 MB, a mel a row hundreds of MB.</summary>
    private const long ResidentBound = 64L << 20;

    /// <summary>Managed heap growth allowed over the same span (after full collections).</summary>
    private const long ManagedBound = 16L << 20;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("Slow")]
    public void TenThousandRowsThroughTheFullPipelineKeepMemoryFlat()
    {
        var start = Measure();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TinySpeechPipeline.ShortTexts(Rows));
        var scored = TinySpeechPipeline.Fit(ml, data).Transform(data);

        var clock = Stopwatch.StartNew();
        var column = scored.Schema["Audio"];
        using var cursor = scored.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> audio = default;
        (long Managed, long Resident, long Tensors) warm = default;
        long samples = 0;
        int count = 0;
        while (cursor.MoveNext())
        {
            get(ref audio);
            samples += audio.Length;
            if (++count == WarmUpRows) warm = Measure();
        }
        var end = Measure();
        TestContext.WriteLine($"{count} rows, {samples} samples in {clock.Elapsed.TotalSeconds:F1} s; RSS start {start.Resident >> 20} MB, " +
            $"after {WarmUpRows} rows {warm.Resident >> 20} MB, end {end.Resident >> 20} MB; managed {warm.Managed >> 20} -> {end.Managed >> 20} MB; " +
            $"live tensors {warm.Tensors} -> {end.Tensors}");

        Assert.AreEqual(Rows, count);
        Assert.IsGreaterThan(0, samples);
        Assert.AreEqual(warm.Tensors, end.Tensors, "live TorchSharp tensors after warm-up");
        Assert.IsLessThan(ManagedBound, end.Managed - warm.Managed, $"managed heap grew by {end.Managed - warm.Managed} bytes");
        Assert.IsLessThan(ResidentBound, end.Resident - warm.Resident, $"resident memory grew by {end.Resident - warm.Resident} bytes");
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
