using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// What <see cref="Decoder.Infer"/> returns: mel (B, n_mel, T*r) before the postnet, gate logits (B, T), alignments
/// (B, T, T_in), mel lengths in frames (int32), which items were still running when the step cap ended decoding,
/// and how many steps ran (T).
/// </summary>
public sealed record DecoderInference(Tensor MelOutputs, Tensor GateOutputs, Tensor Alignments, Tensor MelLengths,
    IReadOnlyList<bool> HitMaxDecoderSteps, int Steps) : IDisposable
{
    public void Dispose()
    {
        MelOutputs.Dispose();
        GateOutputs.Dispose();
        Alignments.Dispose();
        MelLengths.Dispose();
    }
}
