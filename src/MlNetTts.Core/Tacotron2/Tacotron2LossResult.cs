using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>The loss (scalar) and its three terms: decoder mel MSE, postnet mel MSE, gate BCE-with-logits.</summary>
public sealed record Tacotron2LossResult(Tensor Total, Tensor MelLoss, Tensor PostnetLoss, Tensor GateLoss) : IDisposable
{
    public void Dispose()
    {
        Total.Dispose();
        MelLoss.Dispose();
        PostnetLoss.Dispose();
        GateLoss.Dispose();
    }
}
