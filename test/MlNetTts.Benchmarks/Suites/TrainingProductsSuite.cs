using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// The per-step LSTM products of Tacotron 2 training (default config, batch 8): forward [x, h] Wᵀ and backward g W
/// for the attention LSTM (4096 x 1792) and the decoder LSTM (4096 x 2560), float32 and bfloat16, each way the
/// training code could compute them. ms per decoder step (both LSTMs) and the weight bytes read per second.
/// </summary>
public sealed class TrainingProductsSuite : IBenchmarkSuite
{
    private const int Batch = 8;

    public string Name => "training-products";

    public string Description => "Per-step LSTM products of Tacotron 2 training at batch 8 (forward x Wᵀ, backward g W), fp32/bf16, ms/step";

    public ResultTable Run(bool quick)
    {
        int reps = quick ? 30 : 100;
        var table = new ResultTable($"Tacotron 2 training, per-step LSTM products at batch {Batch} (both LSTMs, best / median of {reps}, {get_num_threads()} threads)",
            "product", "dtype", "MB", "best ms", "median ms", "best GB/s");
        manual_seed(1);
        using var scope = NewDisposeScope();
        var shapes = new (long N, long K)[] { (4096, 1792), (4096, 2560) };
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            var w = shapes.Select(s => randn(s.N, s.K).to(dtype)).ToArray();          // (4H, in + H)
            var wT = w.Select(m => m.t().contiguous()).ToArray();                      // (in + H, 4H)
            var x = shapes.Select(s => randn(Batch, s.K)).ToArray();
            var g = shapes.Select(s => randn(Batch, s.N)).ToArray();
            var x16 = x.Select(t => t.to(dtype)).ToArray();
            var g16 = g.Select(t => t.to(dtype)).ToArray();
            long bytes = w.Sum(m => m.numel() * m.element_size());
            var rows = new List<(string, Action)>
            {
                ("forward: matmul(x, W.t() view)", () => { for (int i = 0; i < 2; i++) x16[i].matmul(w[i].t()).Dispose(); }),
                ("forward: matmul(x, Wᵀ contiguous)", () => { for (int i = 0; i < 2; i++) x16[i].matmul(wT[i]).Dispose(); }),
                ("forward: linear(x, W)", () => { for (int i = 0; i < 2; i++) nn.functional.linear(x16[i], w[i]).Dispose(); }),
                ("backward: matmul(g, W)", () => { for (int i = 0; i < 2; i++) g16[i].matmul(w[i]).Dispose(); }),
                ("backward: matmul(g, Wᵀ.t() view)", () => { for (int i = 0; i < 2; i++) g16[i].matmul(wT[i].t()).Dispose(); }),
                ("backward: linear(g, Wᵀ)", () => { for (int i = 0; i < 2; i++) nn.functional.linear(g16[i], wT[i]).Dispose(); }),
            };
            if (SmallBatchGemv.IsSupported)
            {
                rows.Add(("forward: SmallBatchGemv(x, W)", () => { for (int i = 0; i < 2; i++) SmallBatchGemv.LinearSum([(x[i], w[i], null)], get_num_threads()).Dispose(); }));
                rows.Add(("backward: SmallBatchGemv(g, Wᵀ)", () => { for (int i = 0; i < 2; i++) SmallBatchGemv.LinearSum([(g[i], wT[i], null)], get_num_threads()).Dispose(); }));
            }
            if (PanelGemm.IsSupported)
            {
                var packed = w.Select(PanelGemm.Pack).ToArray();
                var packedT = w.Select(PanelGemm.PackTransposed).ToArray();
                for (int i = 0; i < 2; i++)
                {
                    using var expected = x[i].matmul(w[i].to(ScalarType.Float32).t());
                    using var actual = PanelGemm.Multiply(x[i], packed[i], get_num_threads());
                    using var expectedT = g[i].matmul(w[i].to(ScalarType.Float32));
                    using var actualT = PanelGemm.Multiply(g[i], packedT[i], get_num_threads());
                    double error = Math.Max((actual - expected).abs().max().item<float>(), (actualT - expectedT).abs().max().item<float>());
                    if (error > 1e-2) throw new InvalidOperationException($"PanelGemm differs from matmul by {error} ({dtype}).");
                }
                rows.Add(("forward: PanelGemm(x, packed W)", () => { for (int i = 0; i < 2; i++) PanelGemm.Multiply(x[i], packed[i], get_num_threads()).Dispose(); }));
                rows.Add(("backward: PanelGemm(g, packed Wᵀ)", () => { for (int i = 0; i < 2; i++) PanelGemm.Multiply(g[i], packedT[i], get_num_threads()).Dispose(); }));
                rows.Add(("forward: PanelGemm, 1 thread", () => { for (int i = 0; i < 2; i++) PanelGemm.Multiply(x[i], packed[i], 1).Dispose(); }));
                rows.Add(("pack W and Wᵀ (once per training step)", () => { for (int i = 0; i < 2; i++) { PanelGemm.Pack(w[i]).Dispose(); PanelGemm.PackTransposed(w[i]).Dispose(); } }));
            }
            foreach (var (name, run) in rows)
            {
                var (median, min) = Timing.Measure(run, warmup: 3, repetitions: reps);
                table.Add(name, dtype.ToString(), bytes / 1e6, min, median, bytes / (min / 1000) / 1e9);
            }
        }
        return table;
    }
}
