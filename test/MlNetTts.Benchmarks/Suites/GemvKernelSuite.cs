using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// Which libtorch call computes a batch-1 matrix-vector product fastest: the decoder's four LSTM matrices
/// (default config) as linear(x, W), mv(W, x), and x @ W^T with a pre-transposed contiguous copy, in float32 and
/// bfloat16, on 2 threads and 1. Reports the weight-read bandwidth each reaches: the batch-1 step is bound by it.
/// </summary>
public sealed class GemvKernelSuite : IBenchmarkSuite
{
    private const double GB = 1e9;

    public string Name => "gemv-kernels";

    public string Description => "Batch-1 GEMV on the decoder's LSTM matrices: linear vs mv vs pre-transposed matmul, fp32/bf16, weight GB/s";

    public ResultTable Run(bool quick)
    {
        int threads = get_num_threads();
        int reps = quick ? 50 : 200;
        var table = new ResultTable($"Batch-1 GEMV kernels (4 decoder LSTM matrices in sequence, best / median of {reps})",
            "kernel", "threads", "dtype", "MB", "best ms", "median ms", "best GB/s");
        var shapes = new (long N, long K)[] { (4096, 768), (4096, 1024), (4096, 1536), (4096, 1024) };
        manual_seed(1);
        try
        {
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            {
                var weights = shapes.Select(s => randn(s.N, s.K).to(dtype)).ToArray();
                var transposed = weights.Select(w => w.t().contiguous()).ToArray();
                var inputs = shapes.Select(s => randn(1, s.K).to(dtype)).ToArray();
                var inputs32 = inputs.Select(x => x.to(ScalarType.Float32)).ToArray();
                // Batch 4 (the decoder at batch 4): the same weights read once for 4 activation rows.
                var batch4 = shapes.Select(s => randn(4, s.K).to(dtype)).ToArray();
                var batch4f = batch4.Select(x => x.to(ScalarType.Float32)).ToArray();
                var vectors = inputs.Select(x => x.squeeze(0)).ToArray();
                var outs = shapes.Select(s => empty(1, s.N, dtype: dtype)).ToArray();
                long bytes = weights.Sum(w => w.numel() * w.element_size());
                // The decoder loop's layout for bfloat16 at batch 1-2: each LSTM's [W_ih | W_hh] packed as 8-row panels.
                bool panelled = dtype == ScalarType.BFloat16;
                using var attentionPanels = panelled ? PanelWeights.Pack([weights[0], weights[1]]) : null;
                using var decoderPanels = panelled ? PanelWeights.Pack([weights[2], weights[3]]) : null;
                var batch2 = shapes.Select(s => randn(2, s.K)).ToArray();
                var kernels = new (string Name, Action Run)[]
                {
                    ("linear(x, W)", () => { for (int i = 0; i < 4; i++) nn.functional.linear(inputs[i], weights[i]).Dispose(); }),
                    ("mv(W, x)", () => { for (int i = 0; i < 4; i++) weights[i].mv(vectors[i]).Dispose(); }),
                    ("matmul(x, W^T contiguous)", () => { for (int i = 0; i < 4; i++) inputs[i].matmul(transposed[i]).Dispose(); }),
                    ("matmul(W, x^T)", () => { for (int i = 0; i < 4; i++) weights[i].matmul(inputs[i].t()).Dispose(); }),
                    ("SmallBatchGemv, per matrix", () => { for (int i = 0; i < 4; i++) Ours(get_num_threads(), (inputs32[i], weights[i], null)).Dispose(); }),
                    ("SmallBatchGemv, W_ih + W_hh fused", () =>
                    {
                        Ours(get_num_threads(), (inputs32[0], weights[0], null), (inputs32[1], weights[1], null)).Dispose();
                        Ours(get_num_threads(), (inputs32[2], weights[2], null), (inputs32[3], weights[3], null)).Dispose();
                    }),
                    ("batch 2: SmallBatchGemv, W_ih + W_hh fused", () =>
                    {
                        Ours(get_num_threads(), (batch2[0], weights[0], null), (batch2[1], weights[1], null)).Dispose();
                        Ours(get_num_threads(), (batch2[2], weights[2], null), (batch2[3], weights[3], null)).Dispose();
                    }),
                    ("batch 4: linear(x, W)", () => { for (int i = 0; i < 4; i++) nn.functional.linear(batch4[i], weights[i]).Dispose(); }),
                    ("batch 4: SmallBatchGemv, W_ih + W_hh fused", () =>
                    {
                        Ours(get_num_threads(), (batch4f[0], weights[0], null), (batch4f[1], weights[1], null)).Dispose();
                        Ours(get_num_threads(), (batch4f[2], weights[2], null), (batch4f[3], weights[3], null)).Dispose();
                    }),
                    // The same two without the software prefetch of the next row block (SmallBatchGemv.PrefetchEnabled).
                    ("SmallBatchGemv, W_ih + W_hh fused, no prefetch", () => WithoutPrefetch(() =>
                    {
                        Ours(get_num_threads(), (inputs32[0], weights[0], null), (inputs32[1], weights[1], null)).Dispose();
                        Ours(get_num_threads(), (inputs32[2], weights[2], null), (inputs32[3], weights[3], null)).Dispose();
                    })),
                    ("batch 4: SmallBatchGemv, W_ih + W_hh fused, no prefetch", () => WithoutPrefetch(() =>
                    {
                        Ours(get_num_threads(), (batch4f[0], weights[0], null), (batch4f[1], weights[1], null)).Dispose();
                        Ours(get_num_threads(), (batch4f[2], weights[2], null), (batch4f[3], weights[3], null)).Dispose();
                    })),
                };
                if (attentionPanels is not null && decoderPanels is not null)
                    kernels =
                    [
                        .. kernels,
                        ("SmallBatchGemv, W_ih | W_hh panels", () => Panels(attentionPanels, decoderPanels, inputs32)),
                        ("SmallBatchGemv, W_ih | W_hh panels, no prefetch", () => WithoutPrefetch(() => Panels(attentionPanels, decoderPanels, inputs32))),
                        ("batch 2: SmallBatchGemv, W_ih | W_hh panels", () => Panels(attentionPanels, decoderPanels, batch2)),
                    ];
                for (int i = 0; i < 4; i++)
                {
                    // The kernel accumulates in float32 from float32 activations; compare with libtorch in float32.
                    using var expected = nn.functional.linear(inputs[i].to(ScalarType.Float32), weights[i].to(ScalarType.Float32));
                    using var actual = Ours(1, (inputs32[i], weights[i], null));
                    double error = (actual - expected).abs().max().item<float>();
                    if (error > 1e-3) throw new InvalidOperationException($"SmallBatchGemv differs from linear by {error} on matrix {i} ({dtype}).");
                    using var expected4 = nn.functional.linear(batch4f[i], weights[i].to(ScalarType.Float32));
                    using var actual4 = Ours(2, (batch4f[i], weights[i], null));
                    double error4 = (actual4 - expected4).abs().max().item<float>();
                    if (error4 > 1e-3) throw new InvalidOperationException($"SmallBatchGemv differs from linear by {error4} on matrix {i} at batch 4 ({dtype}).");
                }
                foreach (var x in attentionPanels is not null && decoderPanels is not null ? new[] { inputs32, batch2 } : [])
                {
                    // Panels against row-major, each LSTM's pair summed: the same float32 sums in another order.
                    var panelSums = Panels(attentionPanels!, decoderPanels!, x);
                    for (int pair = 0; pair < 2; pair++)
                    {
                        using var expected = Ours(1, (x[2 * pair], weights[2 * pair], null), (x[2 * pair + 1], weights[2 * pair + 1], null));
                        using var actual = tensor(panelSums[pair], [x[0].shape[0], shapes[0].N]);
                        double error = (actual - expected).abs().max().item<float>();
                        if (error > 1e-3) throw new InvalidOperationException($"Panels differ from the row-major kernel by {error} (pair {pair}, batch {x[0].shape[0]}, {dtype}).");
                    }
                }
                foreach (int t in threads > 1 ? new[] { threads, 1 } : new[] { threads })
                {
                    set_num_threads(t);
                    foreach (var (name, run) in kernels)
                    {
                        var (median, min) = Timing.Measure(run, warmup: 5, repetitions: reps);
                        table.Add(name, t, dtype.ToString(), bytes / 1e6, min, median, bytes / (min / 1000) / GB);
                    }
                }
                foreach (var t in weights.Concat(transposed).Concat(inputs).Concat(inputs32).Concat(batch2).Concat(vectors).Concat(outs).Concat(batch4).Concat(batch4f)) t.Dispose();
            }
            // The fixed cost of one call (checks, output tensor, bias; one thread) on a matrix
            // too small to take time of its own: what a kernel call adds to a decoder step beyond its weight read.
            using var tinyX = randn(1, 64);
            using var tinyW = randn(64, 64);
            using var tinyB = randn(64);
            var tinyTerms = new (Tensor, Tensor, Tensor?)[] { (tinyX, tinyW, tinyB) };
            var (tinyMedian, tinyMin) = Timing.Measure(() => Ours(threads, tinyTerms).Dispose(), warmup: 100, repetitions: reps * 10);
            table.Add("SmallBatchGemv call overhead (64 x 64)", threads, "Float32", tinyW.numel() * 4 / 1e6, tinyMin, tinyMedian, "-");
            var (linearMedian, linearMin) = Timing.Measure(() => nn.functional.linear(tinyX, tinyW, tinyB).Dispose(), warmup: 100, repetitions: reps * 10);
            table.Add("libtorch linear call (64 x 64)", threads, "Float32", tinyW.numel() * 4 / 1e6, linearMin, linearMedian, "-");
        }
        finally
        {
            set_num_threads(threads);
        }
        return table;
    }

    private static void WithoutPrefetch(Action run)
    {
        SmallBatchGemv.PrefetchEnabled = false;
        try { run(); }
        finally { SmallBatchGemv.PrefetchEnabled = true; }
    }

    private static readonly Dictionary<int, float[][]> PanelOutputs = [];
    private static readonly Dictionary<int, float[]> Zeros = [];

    /// <summary>Both LSTMs' products through their panels, x_ih and x_hh from <paramref name="x"/> (B, K) float32; the outputs (reused by the next call).</summary>
    private static unsafe float[][] Panels(PanelWeights attention, PanelWeights decoder, Tensor[] x)
    {
        int batch = (int)x[0].shape[0];
        var panels = new[] { attention, decoder };
        var outputs = PanelOutputs.TryGetValue(batch, out var kept) ? kept : PanelOutputs[batch] = [new float[batch * attention.Rows], new float[batch * decoder.Rows]];
        for (int pair = 0; pair < 2; pair++)
        {
            fixed (float* output = outputs[pair])
                SmallBatchGemv.PanelSumInto(panels[pair], [TensorMemory.Address(x[2 * pair]), TensorMemory.Address(x[2 * pair + 1])],
                    Zeros.TryGetValue(panels[pair].Rows, out var zeros) ? zeros : Zeros[panels[pair].Rows] = new float[panels[pair].Rows], output, batch, get_num_threads());
        }
        return outputs;
    }

    private static Tensor Ours(int threads, params (Tensor X, Tensor W, Tensor? Bias)[] terms)
    {
        if (!SmallBatchGemv.Accepts(terms)) throw new InvalidOperationException("SmallBatchGemv refused the operands (no AVX-512 here?).");
        return SmallBatchGemv.LinearSum(terms, threads);
    }
}
