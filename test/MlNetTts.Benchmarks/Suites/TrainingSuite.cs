using MlNetTts.Benchmarks.Harness;
using MlNetTts.Data;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Training;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// Training throughput at the reference's full default configs (random initial weights, generated data): one
/// optimizer step = forward + loss + backward + clipping + Adam, through <see cref="Tacotron2Trainer"/> /
/// <see cref="WaveGlowTrainer"/>, in float32 and Mixed (bf16 on CPU). Tacotron 2: batch 8 of ~120-symbol texts with
/// 400-frame mels -> mel frames/s; WaveGlow (256 channels): batch 2 of 8000-sample segments -> samples/s, as the
/// reference's <c>train_iter_items/sec</c>. The first step of each run is a warm-up and not counted.
/// </summary>
public sealed class TrainingSuite : IBenchmarkSuite
{
    private const int Tacotron2Batch = 8, TextLength = 120, MelFrames = 400;
    private const int WaveGlowBatch = 2, Segment = 8000;

    public string Name => "training";

    public string Description => $"Training steps/s at full default configs: Tacotron 2 batch {Tacotron2Batch} x {MelFrames} frames (mels/s), WaveGlow 256 batch {WaveGlowBatch} x {Segment} samples (samples/s), fp32 vs Mixed";

    public ResultTable Run(bool quick)
    {
        int steps = quick ? 2 : 6; // the first is a warm-up
        var table = new ResultTable($"Training throughput (full default configs, {get_num_threads()} threads, {steps - 1} timed steps after 1 warm-up)",
            "model", "precision", "batch", "median s/step", "min s/step", "items/s (median)", "unit");
        // Tacotron 2 with and without each of our decoder-loop pieces, the steps of one fit taking turns (this VM's
        // speed drifts within minutes): all on (the default); the attention readout as libtorch ops instead of
        // AttentionContext; the location layer as libtorch ops instead of LocationFeatures' node; the LSTMs' per-step products without the packed-panel kernel (float32: SmallBatchGemv,
        // bf16: oneDNN); through libtorch alone (float32).
        foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
        {
            var variants = new List<(string Label, bool Panels, bool Ours, bool Fused, bool Location)> { ("Tacotron 2", true, true, true, true) };
            variants.Add(("Tacotron 2, attention readout as libtorch ops", true, true, false, true));
            variants.Add(("Tacotron 2, location layer as libtorch ops", true, true, true, false));
            if (PanelGemm.IsSupported) variants.Add(("Tacotron 2, LSTM products without PanelGemm", false, true, true, true));
            if (SmallBatchGemv.IsSupported && precision == Precision.Float32) variants.Add(("Tacotron 2, libtorch LSTM products", false, false, true, true));
            try
            {
                var results = Tacotron2(precision, steps, variants.Count, v =>
                {
                    LstmSequence.PanelKernel = variants[v].Panels;
                    LstmSequence.SmallBatchKernel = variants[v].Ours;
                    AttentionContext.Enabled = variants[v].Fused;
                    LocationFeatures.TrainingEnabled = variants[v].Location;
                });
                for (int v = 0; v < variants.Count; v++)
                    table.Add(variants[v].Label, precision.ToString(), $"{Tacotron2Batch} x {MelFrames} frames", results[v].MedianSeconds, results[v].MinSeconds, results[v].ItemsPerSecond, "mel frames/s");
            }
            finally
            {
                LstmSequence.PanelKernel = true;
                LstmSequence.SmallBatchKernel = true;
                AttentionContext.Enabled = true;
                LocationFeatures.TrainingEnabled = true;
            }
        }
        foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
        {
            var (median, min, perSecond) = WaveGlow(precision, steps);
            table.Add("WaveGlow 256", precision.ToString(), $"{WaveGlowBatch} x {Segment} samples", median, min, perSecond, "samples/s");
        }
        return table;
    }

    /// <summary>One fit whose steps cycle through <paramref name="variants"/> (set by <paramref name="use"/> before each step); per variant.</summary>
    private static (double MedianSeconds, double MinSeconds, double ItemsPerSecond)[] Tacotron2(Precision precision, int steps, int variants, Action<int> use)
    {
        manual_seed(1);
        using var model = new Tacotron2Model(new Tacotron2Config());
        var random = new Random(1);
        var data = new TextMelDataset(model.Config.MelChannels);
        for (int i = 0; i < Tacotron2Batch; i++)
        {
            var text = Enumerable.Range(0, TextLength - 4 + random.Next(9)).Select(_ => random.Next(1, model.Config.SymbolCount)).ToArray();
            var mel = Enumerable.Range(0, MelFrames * model.Config.MelChannels).Select(_ => (float)(random.NextDouble() * 8 - 10)).ToArray();
            data.Add(text, mel, MelLayout.FramesMajor);
        }
        using var trainer = new Tacotron2Trainer(model, new Tacotron2TrainingOptions { Epochs = steps * variants, BatchSize = Tacotron2Batch, AnnealSteps = [], Precision = precision, TensorBoard = false });
        return Measure(report => trainer.Fit(data, progress: report), variants, use);
    }

    private static (double MedianSeconds, double MinSeconds, double ItemsPerSecond) WaveGlow(Precision precision, int steps)
    {
        manual_seed(1);
        using var model = new WaveGlowModel(new WaveGlowConfig(), weightNorm: true);
        var random = new Random(2);
        var data = new AudioDataset();
        for (int i = 0; i < WaveGlowBatch; i++)
        {
            double f = 100 + random.NextDouble() * 400;
            data.Add(Enumerable.Range(0, Segment * 2).Select(n => (float)(0.5 * Math.Sin(2 * Math.PI * f * n / 22050) + 0.01 * (random.NextDouble() - 0.5))).ToArray());
        }
        using var trainer = new WaveGlowTrainer(model, new WaveGlowTrainingOptions { Epochs = steps, BatchSize = WaveGlowBatch, Precision = precision, TensorBoard = false });
        return Measure(report => trainer.Fit(data, progress: report), 1, _ => { })[0];
    }

    /// <summary>
    /// Runs a fit (one step per epoch) whose steps take turns among <paramref name="variants"/> (step i runs variant
    /// (i - 1) mod variants, set through <paramref name="use"/> between steps) and summarises each variant's steps
    /// after its first from the trainer's own per-step items/s.
    /// </summary>
    private static (double MedianSeconds, double MinSeconds, double ItemsPerSecond)[] Measure(Action<IProgress<TrainingProgress>> fit, int variants, Action<int> use)
    {
        var rates = Enumerable.Range(0, variants).Select(_ => new List<double>()).ToArray();
        var seconds = Enumerable.Range(0, variants).Select(_ => new List<double>()).ToArray();
        use(0);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        fit(new SyncReport(p =>
        {
            if (p.Kind != TrainingEventKind.Step) return;
            double elapsed = watch.Elapsed.TotalSeconds;
            int variant = (int)((p.Iteration - 1) % variants);
            if (p.Iteration > variants) // each variant's first step is its warm-up
            {
                rates[variant].Add(p.ItemsPerSecond);
                seconds[variant].Add(elapsed);
            }
            use((int)(p.Iteration % variants));
            watch.Restart();
        }));
        return Enumerable.Range(0, variants).Select(v =>
        {
            if (rates[v].Count == 0) throw new InvalidOperationException("no timed training step ran");
            rates[v].Sort();
            seconds[v].Sort();
            return (seconds[v][seconds[v].Count / 2], seconds[v][0], rates[v][rates[v].Count / 2]);
        }).ToArray();
    }

    private sealed class SyncReport(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
