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
            // The default, then without each of our pieces (the WN gate in C#; float32 products through PointwiseGemm
            // rather than oneDNN's 1x1 convolution; in 16 bits, the in_layer and conditioning as one product), the repetitions taking turns (the VM drifts).
            var variants = new List<(string Label, bool CSharpGate, bool Pointwise, bool Fused)>
            {
                (precision.ToString(), true, true, true),
                ($"{precision}, gate as libtorch ops", false, true, true),
            };
            if (precision == Precision.Float32 && PointwiseGemm.IsSupported) variants.Add(($"{precision}, products through oneDNN", true, false, true));
            if (precision == Precision.Mixed) variants.Add(($"{precision}, in_layer and conditioning as two products", true, true, false));
            var times = variants.Select(_ => new List<double>()).ToArray();
            long samples = 0;
            int repetitions = quick ? 1 : 3;
            for (int r = 0; r <= repetitions; r++)
                for (int v = 0; v < variants.Count; v++)
                {
                    GatedActivation.Enabled = variants[v].CSharpGate;
                    PointwiseGemm.Enabled = variants[v].Pointwise;
                    WaveNet.FuseConditioning = variants[v].Fused;
                    try
                    {
                        var watch = System.Diagnostics.Stopwatch.StartNew();
                        using var scope = NewDisposeScope();
                        samples = model.Infer(mel, 0.6, new Generator(2)).shape[1];
                        if (r > 0) times[v].Add(watch.Elapsed.TotalMilliseconds); // the first round is the warm-up
                    }
                    finally
                    {
                        GatedActivation.Enabled = true;
                        PointwiseGemm.Enabled = true;
                        WaveNet.FuseConditioning = true;
                    }
                }
            for (int v = 0; v < variants.Count; v++)
            {
                var sorted = times[v].Order().ToList();
                double median = sorted[sorted.Count / 2], perSecond = samples / (median / 1000);
                table.Add(variants[v].Label, samples, median, sorted[0], perSecond, perSecond / SampleRate);
            }
        }
        return table;
    }
}
