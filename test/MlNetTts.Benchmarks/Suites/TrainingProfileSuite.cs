using System.Diagnostics;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.Data;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// Where a Tacotron 2 training step's time goes, at the training suite's shapes (full default config, batch 8 of
/// ~120-symbol texts, 400-frame mels). Part 1 walks one step as <see cref="Tacotron2Model.Forward"/> and the training
/// engine do it (same modules, same order) with a stopwatch around each phase: encoder forward, decoder
/// teacher-forced loop, postnet, loss, backward, gradient clipping, Adam. Part 2 times the decoder loop's pieces in
/// isolation, forward (400 steps, gradients recorded) and backward apart: each LSTM cell, the attention's location
/// layer, the rest of the attention step, and the per-step concatenations; each fed fresh leaf inputs per step so
/// its backward includes its own weight-gradient accumulation. Float32 and Mixed (bf16 on CPU).
/// </summary>
public sealed class TrainingProfileSuite : IBenchmarkSuite
{
    private const int Batch = 8, TextLength = 120, MelFrames = 400;

    public string Name => "tacotron2-training-profile";

    public string Description => $"Tacotron 2 training step split by phase and decoder-loop part, batch {Batch} x {MelFrames} frames, fp32 and mixed";

    public ResultTable Run(bool quick)
    {
        int repetitions = quick ? 1 : 3;
        var table = new ResultTable(
            $"Tacotron 2 training step by part (default config, batch {Batch} x {MelFrames} frames, {get_num_threads()} threads, median of {repetitions} after 1 warm-up)",
            "part", "precision", "forward s", "backward s", "total s");
        manual_seed(1);
        using var model = new Tacotron2Model(new Tacotron2Config());
        using var batch = MakeBatch(model.Config);
        foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
        {
            model.Precision = precision;
            model.train();
            using var adam = new Adam(model.parameters().Where(p => p.requires_grad).ToList(), 1e-3, 0.9, 0.999, 1e-6, 1e-6);
            // Steps alternate between the two ways of summing the LSTM weight gradients (per sequence, the model's
            // way; per step, autograd's own), so both see the same machine; one warm-up step of each first.
            var runs = new List<List<KeyValuePair<string, double>>>[] { [], [] };
            for (int r = 0; r < 1 + repetitions; r++)
                for (int way = 0; way < 2; way++)
                {
                    LstmSequence.Enabled = way == 0;
                    try
                    {
                        var phasesOfRun = StepPhases(model, adam, batch);
                        if (r > 0) runs[way].Add(phasesOfRun);
                    }
                    finally
                    {
                        LstmSequence.Enabled = true;
                    }
                }
            var phases = Median(runs[0]);
            foreach (var (part, seconds) in phases)
                table.Add(part, precision.ToString(), "-", "-", seconds);
            table.Add("whole step", precision.ToString(), "-", "-", phases.Sum(kv => kv.Value));
            var before = Median(runs[1]);
            foreach (var (part, seconds) in before.Where(kv => kv.Key.StartsWith("decoder", StringComparison.Ordinal) || kv.Key.StartsWith("backward", StringComparison.Ordinal)))
                table.Add($"{part}, per-step LSTM weight gradients", precision.ToString(), "-", "-", seconds);
            table.Add("whole step, per-step LSTM weight gradients", precision.ToString(), "-", "-", before.Sum(kv => kv.Value));

            foreach (var (part, run) in LoopParts(model))
            {
                var samples = Enumerable.Range(0, 1 + repetitions).Select(_ =>
                {
                    using var cast = precision.Enter(CPU);
                    return run();
                }).Skip(1).ToList();
                double fwd = MedianOf(samples.Select(s => s.Forward)), bwd = MedianOf(samples.Select(s => s.Backward));
                table.Add($"  loop: {part} x {MelFrames}", precision.ToString(), fwd, bwd, fwd + bwd);
            }
        }
        return table;
    }

    private static TextMelBatch MakeBatch(Tacotron2Config config)
    {
        var random = new Random(1);
        var data = new TextMelDataset(config.MelChannels);
        for (int i = 0; i < Batch; i++)
        {
            var text = Enumerable.Range(0, TextLength - 4 + random.Next(9)).Select(_ => random.Next(1, config.SymbolCount)).ToArray();
            var mel = Enumerable.Range(0, MelFrames * config.MelChannels).Select(_ => (float)(random.NextDouble() * 8 - 10)).ToArray();
            data.Add(text, mel, MelLayout.FramesMajor);
        }
        return TextMelCollate.Collate(data, Enumerable.Range(0, Batch).ToArray(), config.FramesPerStep);
    }

    /// <summary>One training step, phase by phase (seconds each).</summary>
    private static List<KeyValuePair<string, double>> StepPhases(Tacotron2Model model, Adam adam, TextMelBatch batch)
    {
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        var phases = new List<KeyValuePair<string, double>>();
        var clock = Stopwatch.StartNew();
        void Mark(string phase)
        {
            phases.Add(new(phase, clock.Elapsed.TotalSeconds));
            clock.Restart();
        }

        using var scope = NewDisposeScope();
        adam.zero_grad();
        Tensor total;
        using (var cast = model.Precision.Enter(CPU))
        {
            clock.Restart();
            var memory = model.Encoder.Forward(model.Embed(batch.TextPadded).transpose(1, 2), batch.InputLengths);
            Mark("embedding + encoder forward");
            var decoded = model.Decoder.Forward(memory, batch.MelPadded, batch.InputLengths);
            Mark("decoder forward (teacher-forced loop)");
            var mel = decoded.MelOutputs;
            var melPostnet = mel + model.Postnet.call(mel);
            var padded = Decoder.PaddingMask(batch.OutputLengths, mel.shape[2], mel.device);
            mel = mel.masked_fill(padded.unsqueeze(1), 0.0);
            melPostnet = melPostnet.masked_fill(padded.unsqueeze(1), 0.0);
            var gate = decoded.GateOutputs.masked_fill(padded, 1e3);
            Mark("postnet forward + masks");
            total = Tacotron2Loss.Compute(new Tacotron2Output(mel, melPostnet, gate, decoded.Alignments), batch.MelPadded, batch.GatePadded).Total;
            _ = total.item<float>();
            Mark("loss");
        }
        total.backward();
        Mark("backward (all)");
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        double norm = stack(grads.Select(g => g.norm()).ToArray()).norm().item<float>();
        double coefficient = 1.0 / (norm + 1e-6);
        if (coefficient < 1) foreach (var g in grads) g.mul_(coefficient);
        Mark("gradient clipping (op by op)");
        adam.step();
        Mark("Adam step");
        return phases;
    }

    private static List<KeyValuePair<string, double>> Median(List<List<KeyValuePair<string, double>>> runs) =>
        runs[0].Select((kv, i) => new KeyValuePair<string, double>(kv.Key, MedianOf(runs.Select(r => r[i].Value)))).ToList();

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>The decoder loop's parts, each run for <see cref="MelFrames"/> steps with gradients; returns (forward s, backward s).</summary>
    private static List<(string Name, Func<(double Forward, double Backward)> Run)> LoopParts(Tacotron2Model model)
    {
        var config = model.Config;
        var children = model.Decoder.named_children().ToDictionary(kv => kv.name, kv => kv.module);
        var attentionRnn = (LstmCell)children["attention_rnn"];
        var decoderRnn = (LstmCell)children["decoder_rnn"];
        var attention = (Attention)children["attention_layer"];
        var location = (LocationLayer)attention.named_children().Single(kv => kv.name == "location_layer").module;
        long tIn = TextLength + 4, e = config.EncoderEmbeddingDim;


        (double, double) Loop(Func<int, Tensor> step) => StartAndLoop(() => step);

        // start() runs inside the timed forward (e.g. a sequence's one-off weight concatenation).
        (double, double) StartAndLoop(Func<Func<int, Tensor>> start)
        {
            using var scope = NewDisposeScope();
            var outputs = new List<Tensor>(MelFrames);
            var clock = Stopwatch.StartNew();
            var step = start();
            for (int t = 0; t < MelFrames; t++)
            {
                using var stepScope = NewDisposeScope();
                outputs.Add(step(t).sum().MoveToOuterDisposeScope());
            }
            var loss = stack(outputs).sum();
            double forward = clock.Elapsed.TotalSeconds;
            clock.Restart();
            loss.backward();
            double backward = clock.Elapsed.TotalSeconds;
            foreach (var p in model.parameters()) p.grad?.zero_();
            return (forward, backward);
        }

        Tensor Leaf(params long[] shape) => randn(shape).requires_grad_(true);

        return
        [
            ("attention_rnn LSTM cell (B x 768 -> 1024)", () => Loop(_ =>
            {
                var (h, c) = attentionRnn.Step(Leaf(Batch, config.PrenetDim + e), Leaf(Batch, config.AttentionRnnDim), Leaf(Batch, config.AttentionRnnDim));
                return h + c;
            })),
            ("decoder_rnn LSTM cell (B x 1536 -> 1024)", () => Loop(_ =>
            {
                var (h, c) = decoderRnn.Step(Leaf(Batch, config.AttentionRnnDim + e), Leaf(Batch, config.DecoderRnnDim), Leaf(Batch, config.DecoderRnnDim));
                return h + c;
            })),
            ("attention_rnn LstmSequence (weight gradient once per sequence)", () => StartAndLoop(() =>
            {
                var sequence = attentionRnn.StartSequence(MelFrames, Batch)!;
                return t =>
                {
                    var (h, c) = sequence.Step(t, Leaf(Batch, config.PrenetDim + e), Leaf(Batch, config.AttentionRnnDim), Leaf(Batch, config.AttentionRnnDim));
                    return h + c;
                };
            })),
            ("decoder_rnn LstmSequence (weight gradient once per sequence)", () => StartAndLoop(() =>
            {
                var sequence = decoderRnn.StartSequence(MelFrames, Batch)!;
                return t =>
                {
                    var (h, c) = sequence.Step(t, Leaf(Batch, config.AttentionRnnDim + e), Leaf(Batch, config.DecoderRnnDim), Leaf(Batch, config.DecoderRnnDim));
                    return h + c;
                };
            })),
            ("attention location layer (conv 2->32 + dense)", () => Loop(_ => location.call(Leaf(Batch, 2, tIn)))),
            ("attention step whole (query, location, energies, softmax, context)", () =>
            {
                using var memory = randn(Batch, tIn, e).requires_grad_(true);
                using var processed = attention.ProcessMemory(memory);
                return Loop(_ =>
                {
                    var (context, weights) = attention.Step(Leaf(Batch, config.AttentionRnnDim), memory, processed, Leaf(Batch, 2, tIn).softmax(2), null);
                    return context.sum() + weights.sum();
                });
            }),
            ("per-step cat + stack (LSTM inputs, weights, projection input)", () => Loop(_ =>
            {
                var a = cat([Leaf(Batch, config.PrenetDim), Leaf(Batch, e)], -1);
                var w = stack([Leaf(Batch, tIn), Leaf(Batch, tIn)], 1);
                var d = cat([Leaf(Batch, config.AttentionRnnDim), Leaf(Batch, e)], -1);
                var p = cat([Leaf(Batch, config.DecoderRnnDim), Leaf(Batch, e)], 1);
                return a.sum() + w.sum() + d.sum() + p.sum();
            })),
        ];
    }
}
