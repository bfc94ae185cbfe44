using System.Diagnostics;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// Where the batch-1 decoder step's time goes. The step of <see cref="Decoder"/> is re-traced here op by op from the
/// model's own parameters (same math through <see cref="Cast"/>), with a stopwatch around each part: prenet, each
/// LSTM's input and recurrent matrix-vector products and its gate math, the attention's query, location, energies
/// and context, and the output projections; per part ms/step and, for weight-bound parts, the bandwidth the
/// part's weight read reaches. Before timing, the trace is checked against <see cref="Decoder.Infer"/> (prenet
/// dropout off): the mels must agree, or the profile would describe some other computation. Float32 and Mixed; in
/// Mixed the first step, which casts the weights to bf16 once, is reported apart.
/// </summary>
public sealed class DecoderProfileSuite : IBenchmarkSuite
{
    private const int Steps = 200;
    private const int EncoderSteps = 128;

    public string Name => "decoder-profile";

    public string Description => $"Batch-1 Tacotron 2 decoder step split by part (LSTMs, attention, projections), {Steps} steps, fp32 and mixed";

    public ResultTable Run(bool quick)
    {
        var table = new ResultTable(
            $"Batch-1 decoder step by part (default Tacotron 2, {Steps} steps, T_in {EncoderSteps}, {get_num_threads()} threads, prenet dropout off; median over {(quick ? 1 : 3)} runs)",
            "part", "precision", "weights MB", "ms/step", "share %", "weight GB/s");
        manual_seed(1);
        using var model = new Tacotron2Model(new Tacotron2Config());
        model.eval();
        model.PrenetDropout = false;
        using var memory = randn(1, EncoderSteps, model.Config.EncoderEmbeddingDim);
        var trace = new DecoderTrace(model);

        foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
        {
            double difference = trace.MaxDifferenceFromDecoder(memory, precision, steps: 20);
            // Float32 must match to rounding; Mixed the same bf16 ops in the same order.
            if (!(difference <= 1e-4)) throw new InvalidOperationException($"The profiled step differs from Decoder.Infer by {difference} ({precision}); the profile would not describe the model.");

            var runs = new List<Dictionary<string, double>>();
            for (int run = 0; run < 1 + (quick ? 1 : 3); run++)
            {
                var times = trace.Profile(memory, precision, Steps);
                if (run > 0) runs.Add(times);
            }
            double total = Median(runs.Select(r => r.Where(kv => kv.Key != DecoderTrace.FirstStep).Sum(kv => kv.Value)));
            foreach (var part in runs[0].Keys)
            {
                double perStep = Median(runs.Select(r => r[part])) / (part == DecoderTrace.FirstStep ? 1 : Steps - 1);
                long bytes = trace.WeightBytes(part, precision);
                table.Add(part, precision.ToString(), bytes / 1e6, perStep, part == DecoderTrace.FirstStep ? "-" : (object)(100 * perStep * (Steps - 1) / total),
                    bytes > 0 && part != DecoderTrace.FirstStep ? bytes / (perStep / 1000) / 1e9 : "-");
            }
            table.Add("total (steps 2..N)", precision.ToString(), trace.WeightBytes(null, precision) / 1e6, total / (Steps - 1), 100.0,
                trace.WeightBytes(null, precision) / (total / (Steps - 1) / 1000) / 1e9);
            table.Add("check: max |mel - Decoder.Infer| (20 steps)", precision.ToString(), "-", difference, "-", "-");
            // The untraced decoder in the same run: what the stopwatches and the trace's own allocations cost.
            double infer = trace.DecoderInferMs(memory, precision, Steps, quick ? 1 : 3) / Steps;
            table.Add("Decoder.Infer, untraced (all steps)", precision.ToString(), trace.WeightBytes(null, precision) / 1e6, infer, "-",
                trace.WeightBytes(null, precision) / (infer / 1000) / 1e9);
        }
        return table;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>The decoder step, op by op, over the model's parameters.</summary>
    private sealed class DecoderTrace
    {
        public const string FirstStep = "first step (incl. one-off bf16 casts)";

        private readonly Tacotron2Model _model;
        private readonly Dictionary<string, Parameter> _p;
        private readonly Dictionary<string, string[]> _weightsOfPart;

        public DecoderTrace(Tacotron2Model model)
        {
            _model = model;
            _p = model.Decoder.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
            _weightsOfPart = new()
            {
                ["prenet"] = Names("prenet."),
                ["attention_rnn x W_ih"] = ["attention_rnn.weight_ih", "attention_rnn.bias_ih"],
                ["attention_rnn h W_hh"] = ["attention_rnn.weight_hh", "attention_rnn.bias_hh"],
                ["attention_rnn gates"] = [],
                ["attention query"] = Names("attention_layer.query_layer."),
                ["attention location"] = Names("attention_layer.location_layer."),
                ["attention energies + softmax"] = Names("attention_layer.v."),
                ["attention context"] = [],
                ["decoder_rnn x W_ih"] = ["decoder_rnn.weight_ih", "decoder_rnn.bias_ih"],
                ["decoder_rnn h W_hh"] = ["decoder_rnn.weight_hh", "decoder_rnn.bias_hh"],
                ["decoder_rnn gates"] = [],
                ["projection + gate"] = [.. Names("linear_projection."), .. Names("gate_layer.")],
            };
        }

        private string[] Names(string prefix)
        {
            var names = _p.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
            if (names.Length == 0) throw new InvalidOperationException($"The decoder has no parameters under '{prefix}' (has: {string.Join(", ", _p.Keys)}).");
            return names;
        }

        private Parameter P(string name) => _p.TryGetValue(name, out var p) ? p
            : throw new InvalidOperationException($"The decoder has no parameter '{name}' (has: {string.Join(", ", _p.Keys)}).");

        /// <summary>Bytes of the weights a part reads per step (all parts with <paramref name="part"/> null).</summary>
        public long WeightBytes(string? part, Precision precision)
        {
            if (part == FirstStep) return 0;
            var names = part is null ? _weightsOfPart.Values.SelectMany(n => n) : _weightsOfPart[part];
            return names.Sum(n => P(n).numel() * (precision == Precision.Mixed ? 2 : sizeof(float)));
        }

        /// <summary>Max |mel| difference between this trace and Decoder.Infer over <paramref name="steps"/> steps.</summary>
        public double MaxDifferenceFromDecoder(Tensor memory, Precision precision, int steps)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var lengths = full(new long[] { 1 }, memory.shape[1], dtype: ScalarType.Int64);
            Tensor expected;
            using (var cast = precision.Enter(memory.device))
                expected = _model.Decoder.Infer(memory, lengths, steps, _model.Config.GateThreshold, earlyStopping: false).MelOutputs;
            var actual = Run(memory, precision, steps, null);
            return (expected - actual).abs().max().item<float>();
        }

        /// <summary>Median milliseconds of a whole <see cref="Decoder.Infer"/> of <paramref name="steps"/> steps, one casting scope per call.</summary>
        public double DecoderInferMs(Tensor memory, Precision precision, int steps, int repetitions)
        {
            using var lengths = full(new long[] { 1 }, memory.shape[1], dtype: ScalarType.Int64);
            var (median, _) = Timing.Measure(() =>
            {
                using var noGrad = no_grad();
                using var cast = precision.Enter(memory.device);
                using var result = _model.Decoder.Infer(memory, lengths, steps, _model.Config.GateThreshold, earlyStopping: false);
            }, warmup: 1, repetitions: repetitions);
            return median;
        }

        /// <summary>Milliseconds per part summed over the steps after the first; the first step whole.</summary>
        public Dictionary<string, double> Profile(Tensor memory, Precision precision, int steps)
        {
            var times = new Dictionary<string, double> { [FirstStep] = 0 };
            foreach (var part in _weightsOfPart.Keys) times[part] = 0;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Run(memory, precision, steps, times);
            return times;
        }

        /// <summary>Decodes <paramref name="steps"/> steps; returns the mel (1, n_mel, steps*r). Times parts into <paramref name="times"/> if given.</summary>
        private Tensor Run(Tensor memory, Precision precision, int steps, Dictionary<string, double>? times)
        {
            var config = _model.Config;
            long frameSize = config.MelChannels * config.FramesPerStep;
            using var cast = precision.Enter(memory.device);
            var processedMemory = Cast.Linear(memory, P("attention_layer.memory_layer.linear_layer.weight"), null);
            var attentionHidden = zeros(1, config.AttentionRnnDim);
            var attentionCell = zeros(1, config.AttentionRnnDim);
            var decoderHidden = zeros(1, config.DecoderRnnDim);
            var decoderCell = zeros(1, config.DecoderRnnDim);
            var weights = zeros(1, memory.shape[1]);
            var weightsCum = zeros(1, memory.shape[1]);
            var context = zeros(1, config.EncoderEmbeddingDim);
            var frame = zeros(1, frameSize);
            var mels = new List<Tensor>();
            var prenetNames = _weightsOfPart["prenet"].OrderBy(n => n, StringComparer.Ordinal).ToArray();
            long padding = (config.AttentionLocationKernelSize - 1) / 2;
            var clock = new Stopwatch();
            var firstStep = Stopwatch.StartNew();
            bool first = true;

            void Mark(string part)
            {
                if (times is not null && !first) times[part] += clock.Elapsed.TotalMilliseconds;
                clock.Restart();
            }

            for (int t = 0; t < steps; t++)
            {
                clock.Restart();
                firstStep.Restart();
                var x = frame;
                foreach (var name in prenetNames) x = nn.functional.relu(Cast.Linear(x, P(name), null));
                Mark("prenet");

                var input = cat([x, context], -1);
                var gatesIh = Cast.Linear(input, P("attention_rnn.weight_ih"), P("attention_rnn.bias_ih"));
                Mark("attention_rnn x W_ih");
                var gatesHh = Cast.Linear(attentionHidden, P("attention_rnn.weight_hh"), P("attention_rnn.bias_hh"));
                Mark("attention_rnn h W_hh");
                (attentionHidden, attentionCell) = Gates(gatesIh + gatesHh, attentionCell);
                Mark("attention_rnn gates");

                var query = Cast.Linear(attentionHidden, P("attention_layer.query_layer.linear_layer.weight"), null).unsqueeze(1);
                Mark("attention query");
                // As LocationLayer: one vectorised pass at inference where it applies, else conv then dense.
                var weightsCat = stack([weights, weightsCum], 1);
                var convWeight = P("attention_layer.location_layer.location_conv.conv.weight");
                var denseWeight = P("attention_layer.location_layer.location_dense.linear_layer.weight");
                var location = LocationFeatures.Accepts(weightsCat, convWeight, denseWeight)
                    ? LocationFeatures.Compute(weightsCat, convWeight, denseWeight)
                    : Cast.Linear(Cast.Conv1d(weightsCat, convWeight, null, 1, padding).transpose(1, 2), denseWeight, null);
                Mark("attention location");
                var energies = Cast.Linear((query + location + processedMemory).tanh(), P("attention_layer.v.linear_layer.weight"), null).squeeze(2);
                weights = energies.softmax(1);
                weightsCum = weightsCum + weights;
                Mark("attention energies + softmax");
                context = Cast.Matmul(weights.unsqueeze(1), memory).squeeze(1);
                Mark("attention context");

                var decoderInput = cat([attentionHidden, context], -1);
                gatesIh = Cast.Linear(decoderInput, P("decoder_rnn.weight_ih"), P("decoder_rnn.bias_ih"));
                Mark("decoder_rnn x W_ih");
                gatesHh = Cast.Linear(decoderHidden, P("decoder_rnn.weight_hh"), P("decoder_rnn.bias_hh"));
                Mark("decoder_rnn h W_hh");
                (decoderHidden, decoderCell) = Gates(gatesIh + gatesHh, decoderCell);
                Mark("decoder_rnn gates");

                var hiddenAndContext = cat([decoderHidden, context], 1);
                frame = Cast.Linear(hiddenAndContext, P("linear_projection.linear_layer.weight"), P("linear_projection.linear_layer.bias"));
                var gate = Cast.Linear(hiddenAndContext, P("gate_layer.linear_layer.weight"), P("gate_layer.linear_layer.bias"));
                Mark("projection + gate");
                mels.Add(frame);
                if (first && times is not null) times[FirstStep] = firstStep.Elapsed.TotalMilliseconds;
                first = false;
            }
            return stack(mels, 1).reshape(1, -1, config.MelChannels).transpose(1, 2);
        }

        /// <summary>LSTM gate math (PyTorch's order i, f, g, o) as <see cref="Cast.LstmCell"/>.</summary>
        private static (Tensor H, Tensor C) Gates(Tensor gates, Tensor c)
        {
            var chunks = gates.chunk(4, dim: 1);
            var cNext = chunks[1].sigmoid() * c + chunks[0].sigmoid() * chunks[2].tanh();
            return (chunks[3].sigmoid() * cNext.tanh(), cNext);
        }
    }
}
