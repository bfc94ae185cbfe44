using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// Decoder step time of the full default Tacotron 2 (random weights): 200 steps with the gate stop disabled, over
/// a 100-step random encoder memory, at batch 1 and 4, float32 and mixed (bf16 on CPU). One casting scope per
/// inference call, as Tacotron2Model.Infer opens it (the one-off weight cast is included in the per-step figure).
/// Each configuration runs three ways, so the gains are ratios measured in one run: the C# decoder loop
/// (<see cref="CpuDecoderLoop"/>), the libtorch step with our small-batch GEMV kernel, and libtorch alone; mixed at
/// batch 1 also runs the C# loop with its bfloat16 LSTM matrices row-major, as before they were packed as panels.
/// </summary>
public sealed class Tacotron2DecoderSuite : IBenchmarkSuite
{
    private const int Steps = 200;
    private const int EncoderSteps = 100;

    public string Name => "tacotron2-decoder";

    public string Description => "Tacotron 2 decoder step time, default config, batch 1 and 4, fp32 and mixed";

    public ResultTable Run(bool quick)
    {
        var table = new ResultTable($"Tacotron 2 decoder step ({Steps} steps, T_in {EncoderSteps}, {get_num_threads()} threads, prenet dropout on)",
            "batch", "precision", "path", "median ms/step", "min ms/step");
        manual_seed(1);
        using var model = new Tacotron2Model(new Tacotron2Config());
        model.eval();
        var config = model.Config;
        foreach (int batch in new[] { 1, 4 })
        {
            using var memory = randn(batch, EncoderSteps, config.EncoderEmbeddingDim);
            using var lengths = full(new long[] { batch }, EncoderSteps, dtype: ScalarType.Int64);
            foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
            foreach (var path in SmallBatchGemv.IsSupported ? new[] { Path.CSharpLoop, Path.CSharpLoopRowMajor, Path.LibtorchStepOurGemv, Path.Libtorch } : new[] { Path.Libtorch })
            {
                if (path == Path.CSharpLoopRowMajor && (precision != Precision.Mixed || batch > 2)) continue;
                void Decode()
                {
                    using var noGrad = no_grad();
                    using var cast = precision.Enter(memory.device);
                    using var result = model.Decoder.Infer(memory, lengths, Steps, config.GateThreshold, earlyStopping: false);
                    if (result.Steps != Steps) throw new InvalidOperationException($"decoded {result.Steps} steps, expected {Steps}");
                }
                SmallBatchGemv.Enabled = path != Path.Libtorch;
                CpuDecoderLoop.Enabled = path is Path.CSharpLoop or Path.CSharpLoopRowMajor;
                CpuDecoderLoop.PackPanels = path != Path.CSharpLoopRowMajor;
                try
                {
                    var (median, min) = Timing.Measure(Decode, warmup: 1, repetitions: quick ? 1 : 5);
                    string name = path switch { Path.CSharpLoop => "C# loop", Path.CSharpLoopRowMajor => "C# loop, row-major bf16 LSTMs", Path.LibtorchStepOurGemv => "libtorch step + SmallBatchGemv", _ => "libtorch" };
                    table.Add(batch, precision.ToString(), name, median / Steps, min / Steps);
                }
                finally
                {
                    SmallBatchGemv.Enabled = true;
                    CpuDecoderLoop.Enabled = true;
                    CpuDecoderLoop.PackPanels = true;
                }
            }
        }
        return table;
    }

    private enum Path { CSharpLoop, CSharpLoopRowMajor, LibtorchStepOurGemv, Libtorch }
}
