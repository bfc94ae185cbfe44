using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// Inference outputs. <see cref="MelOutputsPostnet"/> (B, n_mel, T*r) is what the reference's <c>infer</c> returns;
/// <see cref="MelOutputs"/> is the decoder's mel before the postnet; <see cref="GateOutputs"/> is (B, T) (the
/// reference's <c>Decoder.infer</c> returns the same values step-major as (1, T*B): index t*B+b);
/// <see cref="Alignments"/> (B, T, T_in); <see cref="MelLengths"/> int32 (B): frames before each item's stop.
/// Items that never stopped within the step cap are flagged in <see cref="HitMaxDecoderSteps"/> (their
/// <see cref="MelLengths"/> is the full length and their audio may be cut short).
/// </summary>
public sealed record Tacotron2InferenceResult(Tensor MelOutputs, Tensor MelOutputsPostnet, Tensor GateOutputs, Tensor Alignments,
    Tensor MelLengths, IReadOnlyList<bool> HitMaxDecoderSteps, int Steps) : IDisposable
{
    /// <summary>True when any item ran into the step cap without stopping.</summary>
    public bool AnyHitMaxDecoderSteps => HitMaxDecoderSteps.Any(h => h);

    public void Dispose()
    {
        MelOutputs.Dispose();
        MelOutputsPostnet.Dispose();
        GateOutputs.Dispose();
        Alignments.Dispose();
        MelLengths.Dispose();
    }
}
