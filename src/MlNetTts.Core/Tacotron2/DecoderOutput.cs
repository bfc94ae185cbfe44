using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>Teacher-forced decoder outputs: mel (B, n_mel, T), gate logits (B, T/r), alignments (B, T/r, T_in).</summary>
public sealed record DecoderOutput(Tensor MelOutputs, Tensor GateOutputs, Tensor Alignments) : IDisposable
{
    public void Dispose()
    {
        MelOutputs.Dispose();
        GateOutputs.Dispose();
        Alignments.Dispose();
    }
}
