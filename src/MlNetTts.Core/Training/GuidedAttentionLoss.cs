using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Guided attention (Tachibana et al. 2017, "Efficiently trainable text-to-speech ... with guided attention"):
/// penalises attention far from the diagonal with W[s, n] = 1 - exp(-(n/N - s/S)^2 / (2 g^2)), N and S each item's
/// text length and decoder steps. Normalised as a SUM over input positions and a MEAN over valid decoder steps
/// (the paper's mean over all cells is about 1/N as large and, measured here, too weak to matter; see DESIGN.md).
/// </summary>
public static class GuidedAttentionLoss
{
    /// <summary>The penalty of alignments (B, S, N) for text lengths (B) and mel lengths in frames (B) at r frames per step.</summary>
    public static Tensor Compute(Tensor alignments, Tensor inputLengths, Tensor outputLengths, int framesPerStep, double sigma)
    {
        ArgumentNullException.ThrowIfNull(alignments);
        if (alignments.dim() != 3) throw new ArgumentException($"alignments must be (B, steps, T_in); got ({string.Join(", ", alignments.shape)}).", nameof(alignments));
        using var scope = NewDisposeScope();
        var (weights, mask) = Weights(alignments, inputLengths, outputLengths, framesPerStep, sigma);
        var penalty = (alignments * weights * mask).sum();
        var steps = mask.amax(2).sum().clamp_min(1);
        return (penalty / steps).MoveToOuterDisposeScope();
    }

    /// <summary>W (B, S, N) and the valid-cell mask (B, S, N) as float32 on the alignments' device.</summary>
    internal static (Tensor Weights, Tensor Mask) Weights(Tensor alignments, Tensor inputLengths, Tensor outputLengths, int framesPerStep, double sigma)
    {
        using var scope = NewDisposeScope();
        long steps = alignments.shape[1], width = alignments.shape[2];
        var device = alignments.device;
        var n = inputLengths.to(ScalarType.Float32, device).view(-1, 1, 1);
        var s = ((outputLengths.to(ScalarType.Float32, device) + (framesPerStep - 1)) / framesPerStep).floor().view(-1, 1, 1);
        var stepIndex = arange(steps, dtype: ScalarType.Float32, device: device).view(1, -1, 1);
        var inputIndex = arange(width, dtype: ScalarType.Float32, device: device).view(1, 1, -1);
        var distance = inputIndex / n - stepIndex / s;
        var weights = 1 - (-(distance * distance) / (2 * sigma * sigma)).exp();
        var mask = inputIndex.lt(n).logical_and(stepIndex.lt(s)).to(ScalarType.Float32);
        return (weights.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }
}
