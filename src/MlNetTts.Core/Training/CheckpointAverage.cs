using MlNetTts.Checkpoints;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Weight averaging of checkpoints from one run (the last few epochs' weights, averaged element-wise, as fairseq's
/// <c>average_checkpoints.py</c> does): a model whose epoch-to-epoch wobble is smoothed out, at no training cost.
/// </summary>
public static class CheckpointAverage
{
    /// <summary>
    /// A Tacotron 2 whose floating-point weights and buffers are the mean of those in <paramref name="checkpointPaths"/>
    /// (anything <see cref="Tacotron2Trainer.LoadModel"/> reads); non-floating entries come from the first.
    /// </summary>
    /// <exception cref="ArgumentException">No path is given, or one checkpoint's architecture differs from the first's.</exception>
    public static Tacotron2Model LoadTacotron2(IReadOnlyList<string> checkpointPaths)
    {
        ArgumentNullException.ThrowIfNull(checkpointPaths);
        if (checkpointPaths.Count == 0) throw new ArgumentException("Name at least one checkpoint to average.", nameof(checkpointPaths));
        var model = Tacotron2Trainer.LoadModel(checkpointPaths[0]);
        if (checkpointPaths.Count == 1) return model;
        try
        {
            using var scope = NewDisposeScope();
            // Sums in float64 so that the mean of n float32 weights is the correctly rounded one.
            var sums = model.state_dict().ToDictionary(kv => kv.Key,
                kv => kv.Value.is_floating_point() ? kv.Value.detach().to_type(ScalarType.Float64) : kv.Value.detach().clone());
            foreach (string path in checkpointPaths.Skip(1))
            {
                using var other = Tacotron2Trainer.LoadModel(path);
                if (other.Config != model.Config)
                    throw new ArgumentException($"{path}: its Tacotron 2 configuration differs from that of {checkpointPaths[0]}; "
                        + "only checkpoints of one architecture (one training run) can be averaged.", nameof(checkpointPaths));
                foreach (var (key, value) in other.state_dict())
                    if (value.is_floating_point()) sums[key].add_(value.detach().to_type(ScalarType.Float64));
            }
            foreach (var sum in sums.Values.Where(t => t.is_floating_point())) sum.div_(checkpointPaths.Count);
            StateDictLoader.LoadInto(model, sums);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
