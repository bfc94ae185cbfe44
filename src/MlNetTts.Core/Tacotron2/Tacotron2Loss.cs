using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The reference's <c>Tacotron2Loss</c>: MSE(mel, target) + MSE(mel_postnet, target) + BCE-with-logits(gate,
/// gate_target), each a plain mean over all (padded) elements. The mel terms may use another <see cref="MelLoss"/>.
/// </summary>
public static class Tacotron2Loss
{
    /// <summary>
    /// Loss of teacher-forced <paramref name="output"/> against mel targets (B, n_mel, T) and gate targets (B, T).
    /// With r frames per step the gate has T/r logits; each is scored against the target of the LAST frame of its
    /// step (<c>gate_target[:, r-1::r]</c>), i.e. a step should stop when it emits the final frame. (The reference
    /// code fails on a shape mismatch for r &gt; 1; for r = 1 this is exactly its loss.)
    /// <paramref name="gatePositiveWeight"/> weighs the stop targets in the BCE (PyTorch's <c>pos_weight</c>); 1, the
    /// default, is the reference. A sentence has one stop step among a hundred or more, so a weight near 5-10 teaches the
    /// gate to fire in far fewer steps (Coqui TTS's <c>stopnet_pos_weight</c>). <paramref name="melLoss"/> scores both
    /// mel terms; <see cref="MelLoss.Mse"/>, the default, is the reference.
    /// </summary>
    public static Tacotron2LossResult Compute(Tacotron2Output output, Tensor melTarget, Tensor gateTarget, double gatePositiveWeight = 1.0,
        MelLoss melLoss = MelLoss.Mse)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!Enum.IsDefined(melLoss)) throw new ArgumentOutOfRangeException(nameof(melLoss), melLoss, $"must be one of {string.Join(", ", Enum.GetNames<MelLoss>())}.");
        if (!(gatePositiveWeight > 0) || double.IsInfinity(gatePositiveWeight))
            throw new ArgumentOutOfRangeException(nameof(gatePositiveWeight), gatePositiveWeight, "The gate's positive weight must be positive and finite.");
        CheckShape(melTarget, output.MelOutputs.shape, nameof(melTarget));
        long steps = output.GateOutputs.shape[1];
        if (gateTarget.dim() != 2 || gateTarget.shape[0] != output.GateOutputs.shape[0] || gateTarget.shape[1] % steps != 0)
            throw new ArgumentException($"Gate target must be (B={output.GateOutputs.shape[0]}, T) with T a multiple of {steps} decoder steps; got ({string.Join(", ", gateTarget.shape)}).", nameof(gateTarget));
        long r = gateTarget.shape[1] / steps;

        using var scope = NewDisposeScope();
        var gateTargetPerStep = r == 1 ? gateTarget : gateTarget[.., TensorIndex.Slice(r - 1, null, r)];
        var mel = MelTerm(output.MelOutputs, melTarget, melLoss);
        var postnet = MelTerm(output.MelOutputsPostnet, melTarget, melLoss);
        var gate = gatePositiveWeight == 1.0
            ? nn.functional.binary_cross_entropy_with_logits(output.GateOutputs.reshape(-1, 1), gateTargetPerStep.reshape(-1, 1))
            : nn.functional.binary_cross_entropy_with_logits(output.GateOutputs.reshape(-1, 1), gateTargetPerStep.reshape(-1, 1),
                pos_weights: full(1, gatePositiveWeight, dtype: output.GateOutputs.dtype, device: output.GateOutputs.device));
        var total = mel + postnet + gate;
        return new Tacotron2LossResult(total.MoveToOuterDisposeScope(), mel.MoveToOuterDisposeScope(),
            postnet.MoveToOuterDisposeScope(), gate.MoveToOuterDisposeScope());
    }

    private static Tensor MelTerm(Tensor predicted, Tensor target, MelLoss kind) => kind switch
    {
        MelLoss.Mse => nn.functional.mse_loss(predicted, target),
        MelLoss.L1 => nn.functional.l1_loss(predicted, target),
        _ => nn.functional.l1_loss(predicted, target) + nn.functional.mse_loss(predicted, target),
    };

    private static void CheckShape(Tensor t, long[] expected, string name)
    {
        if (!t.shape.SequenceEqual(expected))
            throw new ArgumentException($"{name} must have shape ({string.Join(", ", expected)}); got ({string.Join(", ", t.shape)}).", name);
    }
}
