using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// The memory-bandwidth floor of the batch-1 Tacotron 2 decoder step. A batch-1 step is a chain of matrix-vector
/// products whose weights (~73 MB fp32) exceed the caches, so its time is bounded below by bytes / bandwidth. This
/// suite measures the sustained read bandwidth TorchSharp reaches here (sum of a 512 MB float32 tensor, on 2 threads
/// and on 1; also a copy, and a read of a tensor the size of one step's weights, which may be partly cached), counts
/// the bytes a step streams (<see cref="DecoderStepBytes"/>), times the decoder step (default config, random
/// weights, fixed steps with the gate stop off, as tacotron2-decoder) and reports measured / floor, against the lower
/// of the two floors (DRAM read, or a read of the step's size where the last-level cache holds it). All in one run,
/// so the ratios hold even on a loaded machine; the absolute figures do not.
/// </summary>
public sealed class MemoryBandwidthSuite : IBenchmarkSuite
{
    private const long LargeBytes = 512L << 20;
    private const int Steps = 200;
    private const int EncoderSteps = 128;
    private const double GB = 1e9, MB = 1e6;

    public string Name => "memory-bandwidth";

    public string Description => "Read bandwidth (2 and 1 threads), bytes per batch-1 decoder step, bandwidth floor ms/step and measured/floor, fp32 and mixed";

    public ResultTable Run(bool quick)
    {
        int threads = get_num_threads();
        int reps = quick ? 5 : 20;
        var table = new ResultTable(
            $"Memory bandwidth and the batch-1 decoder floor (default Tacotron 2, {Steps} steps, T_in {EncoderSteps}; best = min time / max GB/s, of {reps} reads and {(quick ? 1 : 5)} decodes; last-level cache {LastLevelCache()})",
            "what", "threads", "precision", "MB", "best", "median", "unit");

        manual_seed(1);
        using var model = new Tacotron2Model(new Tacotron2Config());
        model.eval();
        var bytes = DecoderStepBytes.Measure(model, EncoderSteps);
        if (bytes.CastWeights != bytes.ExpectedCasts)
            throw new InvalidOperationException($"A Mixed decoder step cast {bytes.CastWeights} weights to bf16; {bytes.ExpectedCasts} are over the small-layer size. The bf16 byte count assumes those.");

        var threadCounts = threads > 1 ? new[] { threads, 1 } : new[] { threads };
        var bandwidth = new Dictionary<(int Threads, string Size), (double Best, double Median)>();
        try
        {
            foreach (int t in threadCounts)
            {
                set_num_threads(t);
                bandwidth[(t, "large")] = ReadBandwidth(LargeBytes, reps);
                table.Add("read (sum of float32 tensor)", t, "-", LargeBytes / MB, bandwidth[(t, "large")].Best, bandwidth[(t, "large")].Median, "GB/s");
                var copy = CopyBandwidth(LargeBytes, reps);
                table.Add("copy (read + write counted)", t, "-", LargeBytes / MB, copy.Best, copy.Median, "GB/s");
                bandwidth[(t, "fp32 step")] = ReadBandwidth(bytes.Float32Bytes, reps * 4);
                table.Add("read, one fp32 step's size", t, "-", bytes.Float32Bytes / MB, bandwidth[(t, "fp32 step")].Best, bandwidth[(t, "fp32 step")].Median, "GB/s");
                bandwidth[(t, "bf16 step")] = ReadBandwidth(bytes.MixedBytes, reps * 4);
                table.Add("read, one bf16 step's size", t, "-", bytes.MixedBytes / MB, bandwidth[(t, "bf16 step")].Best, bandwidth[(t, "bf16 step")].Median, "GB/s");
            }

            table.Add("decoder parameters per step", "-", "-", "-", bytes.Parameters, bytes.Parameters, "values");
            table.Add("bytes per step: weights", "-", "Float32", bytes.Float32Bytes / MB, bytes.Float32Bytes / MB, bytes.Float32Bytes / MB, "MB");
            table.Add("bytes per step: weights", "-", "Mixed", bytes.MixedBytes / MB, bytes.MixedBytes / MB, bytes.MixedBytes / MB, "MB");
            table.Add("bytes per step: encoder activations", "-", "Float32", bytes.ActivationBytes / MB, bytes.ActivationBytes / MB, bytes.ActivationBytes / MB, "MB");

            foreach (int t in threadCounts)
            {
                set_num_threads(t);
                foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
                {
                    long stepBytes = (precision == Precision.Mixed ? bytes.MixedBytes : bytes.Float32Bytes) + bytes.ActivationBytes;
                    var (median, min) = StepMs(model, precision, quick);
                    // Two floors: from the best DRAM read rate (the 512 MB sum), and from the best read of a buffer the
                    // step's size, which is faster where the last-level cache holds the step's weights (300 MB L3 on
                    // one VM of this kind, 32 MB on another). The target is judged against the faster, i.e. the lower floor.
                    double dramFloor = stepBytes / (bandwidth[(t, "large")].Best * GB) * 1000;
                    table.Add("bandwidth floor (bytes / best 512 MB read)", t, precision.ToString(), stepBytes / MB, dramFloor, dramFloor, "ms/step");
                    var sized = bandwidth[(t, precision == Precision.Mixed ? "bf16 step" : "fp32 step")];
                    double cachedFloor = stepBytes / (sized.Best * GB) * 1000;
                    table.Add("floor at the step's own size (best)", t, precision.ToString(), stepBytes / MB, cachedFloor, cachedFloor, "ms/step");
                    double floor = Math.Min(dramFloor, cachedFloor);
                    table.Add("measured decoder step, batch 1", t, precision.ToString(), stepBytes / MB, min, median, "ms/step");
                    table.Add("measured / lower floor (target <= 1.5)", t, precision.ToString(), stepBytes / MB, min / floor, median / floor, "x");
                    table.Add("effective bandwidth of the step", t, precision.ToString(), stepBytes / MB, stepBytes / (min / 1000) / GB, stepBytes / (median / 1000) / GB, "GB/s");
                }
            }
        }
        finally
        {
            set_num_threads(threads);
        }
        return table;
    }

    /// <summary>The largest CPU cache Linux reports for cpu0 (e.g. "32768K"), or "unknown": it decides which floor applies.</summary>
    private static string LastLevelCache()
    {
        var caches = new DirectoryInfo("/sys/devices/system/cpu/cpu0/cache");
        if (!caches.Exists) return "unknown";
        var sizes = caches.GetDirectories("index*")
            .Select(d => Path.Combine(d.FullName, "size"))
            .Where(File.Exists)
            .Select(f => File.ReadAllText(f).Trim())
            .Select(text => (Text: text, Kib: long.TryParse(text.TrimEnd('K'), out var k) ? k : 0))
            .ToList();
        return sizes.Count == 0 ? "unknown" : sizes.MaxBy(s => s.Kib).Text;
    }

    /// <summary>GB/s of summing a float32 tensor of <paramref name="size"/> bytes (best, median).</summary>
    private static (double Best, double Median) ReadBandwidth(long size, int reps)
    {
        using var data = ones(size / sizeof(float));
        double total = 0;
        var (median, min) = Timing.Measure(() =>
        {
            using var sum = data.sum();
            total += sum.item<float>();
        }, warmup: 2, repetitions: reps);
        if (total <= 0) throw new InvalidOperationException("The read benchmark summed nothing.");
        return (size / (min / 1000) / GB, size / (median / 1000) / GB);
    }

    /// <summary>GB/s of copying a float32 tensor into another, counting its bytes twice (read + write).</summary>
    private static (double Best, double Median) CopyBandwidth(long size, int reps)
    {
        using var source = ones(size / sizeof(float));
        using var target = empty(size / sizeof(float));
        var (median, min) = Timing.Measure(() => target.copy_(source), warmup: 2, repetitions: reps);
        return (2 * size / (min / 1000) / GB, 2 * size / (median / 1000) / GB);
    }

    /// <summary>Batch-1 decoder ms/step (median, min) over <see cref="Steps"/> steps, one casting scope per decode.</summary>
    private static (double Median, double Min) StepMs(Tacotron2Model model, Precision precision, bool quick)
    {
        var config = model.Config;
        using var memory = randn(1, EncoderSteps, config.EncoderEmbeddingDim);
        using var lengths = full(new long[] { 1 }, EncoderSteps, dtype: ScalarType.Int64);
        var (median, min) = Timing.Measure(() =>
        {
            using var noGrad = no_grad();
            using var cast = precision.Enter(memory.device);
            using var result = model.Decoder.Infer(memory, lengths, Steps, config.GateThreshold, earlyStopping: false);
            if (result.Steps != Steps) throw new InvalidOperationException($"decoded {result.Steps} steps, expected {Steps}");
        }, warmup: 1, repetitions: quick ? 1 : 5);
        return (median / Steps, min / Steps);
    }
}
