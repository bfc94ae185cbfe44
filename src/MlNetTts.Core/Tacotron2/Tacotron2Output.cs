using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// Teacher-forced outputs, as the reference's <c>Tacotron2.forward</c>: decoder mel (B, n_mel, T), mel after the
/// postnet (B, n_mel, T), gate logits (B, T/r) and alignments (B, T/r, T_in).
/// </summary>
public sealed record Tacotron2Output(Tensor MelOutputs, Tensor MelOutputsPostnet, Tensor GateOutputs, Tensor Alignments) : IDisposable
{
    public void Dispose()
    {
        MelOutputs.Dispose();
        MelOutputsPostnet.Dispose();
        GateOutputs.Dispose();
        Alignments.Dispose();
    }
}
