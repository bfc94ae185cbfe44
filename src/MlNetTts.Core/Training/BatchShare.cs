using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// One replica's part of a training batch: rows [<see cref="Start"/>, Start + <see cref="Length"/>) of the batch the
/// task builds from all its items (for Tacotron 2: of the collated, length-sorted batch, so every part is padded to the
/// whole batch's length and the losses, means over padded elements, add up to the whole batch's loss when weighted by
/// Length / batch size). The task runs <see cref="Model"/> on <see cref="Device"/>.
/// </summary>
internal sealed record BatchShare(nn.Module Model, Device Device, int Replica, int Replicas, int Start, int Length)
{
    /// <summary>Whether this share is the whole batch (one replica): nothing to slice.</summary>
    public bool IsWholeBatch => Replicas == 1;

    /// <summary>Contiguous, near-equal row ranges: the first (batch % replicas) replicas get one row more.</summary>
    public static (int Start, int Length)[] Split(int batch, int replicas)
    {
        var ranges = new (int, int)[replicas];
        int start = 0;
        for (int r = 0; r < replicas; r++)
        {
            int length = batch / replicas + (r < batch % replicas ? 1 : 0);
            ranges[r] = (start, length);
            start += length;
        }
        return ranges;
    }
}
