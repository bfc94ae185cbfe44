using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// WaveGlow's negative log-likelihood (NVIDIA's <c>WaveGlowLoss</c>):
/// <c>(sum(z^2) / (2 sigma^2) - sum_k sum(log_s_k) - sum_k log_det_W_k) / z.numel()</c>, summed in the
/// reference's order.
/// </summary>
/// <remarks>
/// The reference accumulates log_det_W with <c>+=</c> on <c>log_det_W_list[0]</c> itself, so after the
/// call that list entry holds the running total; the loss value is unaffected. This port computes the
/// same value without modifying the caller's tensors.
/// </remarks>
public sealed class WaveGlowLoss
{
    /// <summary>A loss for a standard deviation of the latent prior (the reference trains with 1.0).</summary>
    public WaveGlowLoss(double sigma = 1.0)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "must be positive and finite");
        Sigma = sigma;
    }

    /// <summary>Standard deviation of the latent prior.</summary>
    public double Sigma { get; }

    /// <summary>The scalar loss of one forward pass.</summary>
    public Tensor Compute(WaveGlowOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.LogS.Count == 0 || output.LogS.Count != output.LogDetW.Count)
            throw new ArgumentException($"WaveGlow output needs one log_s and one log_det_W per flow; got {output.LogS.Count} and {output.LogDetW.Count}.", nameof(output));
        using var scope = NewDisposeScope();
        var logSTotal = output.LogS[0].sum();
        var logDetWTotal = output.LogDetW[0];
        for (int i = 1; i < output.LogS.Count; i++)
        {
            logSTotal = logSTotal + output.LogS[i].sum();
            logDetWTotal = logDetWTotal + output.LogDetW[i];
        }
        var z = output.Z;
        var loss = (z * z).sum() / (2 * Sigma * Sigma) - logSTotal - logDetWTotal;
        return (loss / (double)(z.shape[0] * z.shape[1] * z.shape[2])).MoveToOuterDisposeScope();
    }
}
