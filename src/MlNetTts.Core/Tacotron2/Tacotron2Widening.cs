using System.Reflection;
using MlNetTts.Checkpoints;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// A trained Tacotron 2 grown into wider attention and decoder LSTMs without changing what it computes, so training
/// a larger model starts from the smaller one's quality instead of from scratch (Net2WiderNet, Chen et al. 2016,
/// with zero outgoing weights instead of split copies). Each added LSTM unit gets fresh input and recurrent weights
/// and biases (the usual initialisation) but zero weight wherever the existing network reads it: in the old units'
/// recurrent weights, the attention query, the next LSTM's input and the mel/gate projections. The old units and
/// every output are therefore exactly as before; from the first update the added units' outgoing weights receive
/// gradient (the units are active) and the model starts using them.
/// </summary>
public static class Tacotron2Widening
{
    private const string AttentionRnn = "decoder.attention_rnn.";
    private const string DecoderRnn = "decoder.decoder_rnn.";

    /// <summary>The configuration fields a widening may change; every other field must equal the source's.</summary>
    public static IReadOnlyList<string> WidenableFields { get; } = [nameof(Tacotron2Config.AttentionRnnDim), nameof(Tacotron2Config.DecoderRnnDim)];

    /// <summary>
    /// A new model in <paramref name="target"/>'s configuration whose outputs equal <paramref name="source"/>'s (on
    /// the same inputs, with the same dropout draws). Only <see cref="WidenableFields"/> may differ from the source's
    /// configuration, and only upward; fresh weights come from torch's global generator. The source is not changed.
    /// </summary>
    /// <exception cref="ArgumentException">The configurations differ elsewhere, or a width shrinks; it names the field.</exception>
    public static Tacotron2Model Widen(Tacotron2Model source, Tacotron2Config target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var from = source.Config;
        var others = Differences(from, target).Where(name => !WidenableFields.Contains(name)).ToList();
        if (others.Count > 0)
            throw new ArgumentException($"A Tacotron 2 can only be widened in {string.Join(" and ", WidenableFields)}; the target configuration also changes {string.Join(", ", others)}.", nameof(target));
        if (target.AttentionRnnDim < from.AttentionRnnDim)
            throw new ArgumentException($"{nameof(Tacotron2Config.AttentionRnnDim)} {target.AttentionRnnDim} is narrower than the model's {from.AttentionRnnDim}; widening cannot remove units.", nameof(target));
        if (target.DecoderRnnDim < from.DecoderRnnDim)
            throw new ArgumentException($"{nameof(Tacotron2Config.DecoderRnnDim)} {target.DecoderRnnDim} is narrower than the model's {from.DecoderRnnDim}; widening cannot remove units.", nameof(target));

        var model = new Tacotron2Model(target);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var old = source.state_dict();
            var fresh = model.state_dict();
            int a = from.AttentionRnnDim, a2 = target.AttentionRnnDim, d = from.DecoderRnnDim, d2 = target.DecoderRnnDim;
            int e = from.EncoderEmbeddingDim;
            var placements = new Dictionary<string, (Segment[] Rows, Segment[]? Columns)>
            {
                // LSTM weights hold four gate blocks (i, f, g, o) of H rows each; inputs are concatenations.
                [AttentionRnn + "weight_ih"] = (GateBlocks(a, a2), null),
                [AttentionRnn + "weight_hh"] = (GateBlocks(a, a2), [new(0, 0, a)]),
                [AttentionRnn + "bias_ih"] = (GateBlocks(a, a2), null),
                [AttentionRnn + "bias_hh"] = (GateBlocks(a, a2), null),
                ["decoder.attention_layer.query_layer.linear_layer.weight"] = (Same(from.AttentionDim), [new(0, 0, a)]),
                // decoder_rnn reads cat(attention_hidden, attention_context).
                [DecoderRnn + "weight_ih"] = (GateBlocks(d, d2), [new(0, 0, a), new(a, a2, e)]),
                [DecoderRnn + "weight_hh"] = (GateBlocks(d, d2), [new(0, 0, d)]),
                [DecoderRnn + "bias_ih"] = (GateBlocks(d, d2), null),
                [DecoderRnn + "bias_hh"] = (GateBlocks(d, d2), null),
                // The projections read cat(decoder_hidden, attention_context).
                ["decoder.linear_projection.linear_layer.weight"] = (Same(from.MelChannels * from.FramesPerStep), [new(0, 0, d), new(d, d2, e)]),
                ["decoder.gate_layer.linear_layer.weight"] = (Same(1), [new(0, 0, d), new(d, d2, e)]),
            };

            var state = new Dictionary<string, Tensor>(fresh.Count);
            foreach (var (key, target_) in fresh)
            {
                var value = old[key];
                if (placements.TryGetValue(key, out var place))
                    state[key] = Place(value, target_, place.Rows, place.Columns);
                else if (value.shape.SequenceEqual(target_.shape))
                    state[key] = value;
                else
                    throw new InvalidOperationException($"Widening does not know how to grow {key} from ({string.Join(", ", value.shape)}) to ({string.Join(", ", target_.shape)}).");
            }
            StateDictLoader.LoadInto(model, state);
            model.Precision = source.Precision;
            model.PrenetDropout = source.PrenetDropout;
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The public configuration properties whose values differ.</summary>
    private static IEnumerable<string> Differences(Tacotron2Config a, Tacotron2Config b) =>
        typeof(Tacotron2Config).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !Equals(p.GetValue(a), p.GetValue(b)))
            .Select(p => p.Name);

    /// <summary>A run of <paramref name="Length"/> indices at <paramref name="From"/> in the old tensor and <paramref name="To"/> in the new one.</summary>
    private readonly record struct Segment(int From, int To, int Length);

    private static Segment[] GateBlocks(int hidden, int widened) =>
        Enumerable.Range(0, 4).Select(k => new Segment(k * hidden, k * widened, hidden)).ToArray();

    private static Segment[] Same(int length) => [new(0, 0, length)];

    /// <summary>
    /// <paramref name="fresh"/> with the old rows (and, for matrices, the old columns within them) placed where
    /// <paramref name="rows"/> and <paramref name="columns"/> say; the old rows' other columns (inputs from added
    /// units) are zero; rows not listed (added units) keep their fresh initialisation.
    /// </summary>
    private static Tensor Place(Tensor old, Tensor fresh, Segment[] rows, Segment[]? columns)
    {
        var result = fresh.detach().clone();
        old = old.to(result.dtype);
        foreach (var row in rows)
        {
            var into = result.narrow(0, row.To, row.Length);
            var from = old.narrow(0, row.From, row.Length);
            if (columns is null)
            {
                into.copy_(from);
                continue;
            }
            into.zero_();
            foreach (var column in columns)
                into.narrow(1, column.To, column.Length).copy_(from.narrow(1, column.From, column.Length));
        }
        return result;
    }
}
