using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// How diagonal Tacotron 2's attention is: the mean, over every item's valid decoder steps s &lt; S, of the attention
/// mass on input positions n &lt; N with |(n + 0.5)/N - (s + 0.5)/S| &lt;= band. 1 means all mass within the band
/// around the straight diagonal; uniform attention scores about 2 x band. A straight diagonal is the right target
/// when symbols take similar time (the synthetic data of the tests); for real speech use it as a trend.
/// </summary>
public static class AttentionDiagonality
{
    /// <summary>The score of alignments (B, S, N) given text lengths (B) and mel lengths in frames (B) at r frames per step.</summary>
    public static double Score(Tensor alignments, Tensor inputLengths, Tensor outputLengths, int framesPerStep, double band = 0.1)
    {
        ArgumentNullException.ThrowIfNull(alignments);
        if (!(band > 0)) throw new ArgumentOutOfRangeException(nameof(band), band, "must be positive");
        using var scope = NewDisposeScope();
        long steps = alignments.shape[1], width = alignments.shape[2];
        var device = alignments.device;
        var n = inputLengths.to(ScalarType.Float32, device).view(-1, 1, 1);
        var s = ((outputLengths.to(ScalarType.Float32, device) + (framesPerStep - 1)) / framesPerStep).floor().view(-1, 1, 1);
        var stepIndex = arange(steps, dtype: ScalarType.Float32, device: device).view(1, -1, 1);
        var inputIndex = arange(width, dtype: ScalarType.Float32, device: device).view(1, 1, -1);
        var inBand = ((inputIndex + 0.5) / n - (stepIndex + 0.5) / s).abs().le(band).logical_and(inputIndex.lt(n));
        var validStep = stepIndex.lt(s).to(ScalarType.Float32).squeeze(2); // (B, S)
        var mass = (alignments.detach().to(ScalarType.Float32) * inBand.to(ScalarType.Float32)).sum(dim: 2); // (B, S)
        return ((mass * validStep).sum() / validStep.sum().clamp_min(1)).item<float>();
    }
}
