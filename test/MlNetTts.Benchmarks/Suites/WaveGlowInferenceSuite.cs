using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// WaveGlow inference throughput at the reference's full 256-channel config (random weights, weight norm
/// folded as for inference), one 200-frame mel, in float32 and mixed precision (bf16 on CPU).
/// </summary>
public sealed class WaveGlowInferenceSuite : IBenchmarkSuite
{
    private const int Frames = 200;
    private const double SampleRate = 22050;

    public string Name => "waveglow-infer";

    public string Description => $"WaveGlow 256-channel inference, {Frames}-frame mel, batch 1: samples/s in fp32 and Mixed";

    public ResultTable Run(bool quick)
    {
        var table = new ResultTable($"WaveGlow inference (full 256-channel config, {Frames} frames, batch 1, {get_num_threads()} threads)",
            "precision", "samples", "median ms", "min ms", "samples/s", "x real time (22.05 kHz)");
        manual_seed(1);
        using var model = new WaveGlowModel(new WaveGlowConfig(), weightNorm: false);
        model.eval();
        using var mel = randn(1, model.Config.NMelChannels, Frames) - 5;
        foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
        {
            model.Precision = precision;
            long samples = 0;
            var (median, min) = Timing.Measure(() =>
            {
                using var scope = NewDisposeScope();
                samples = model.Infer(mel, 0.6, new Generator(2)).shape[1];
            }, warmup: 1, repetitions: quick ? 1 : 3);
            double perSecond = samples / (median / 1000);
            table.Add(precision.ToString(), samples, median, min, perSecond, perSecond / SampleRate);
        }
        return table;
    }
}
