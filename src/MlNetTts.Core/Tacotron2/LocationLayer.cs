using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// Location features of the attention: a bias-free convolution over (previous, cumulative) attention weights
/// (<c>location_conv</c>, 2 input channels, padding (k-1)/2) followed by a bias-free projection to the
/// attention dimension (<c>location_dense</c>).
/// </summary>
public sealed class LocationLayer : nn.Module<Tensor, Tensor>
{
    private readonly ConvNorm location_conv;
    private readonly LinearNorm location_dense;

    public LocationLayer(long filters, long kernelSize, long attentionDim) : base(nameof(LocationLayer))
    {
        location_conv = new ConvNorm(2, filters, kernelSize, padding: (kernelSize - 1) / 2, bias: false);
        location_dense = new LinearNorm(filters, attentionDim, bias: false, gain: nn.init.NonlinearityType.Tanh);
        RegisterComponents();
    }

    internal Tensor ConvWeight => location_conv.Weight;
    internal Tensor DenseWeight => location_dense.Weight;

    /// <summary>(B, 2, T_in) weights -> (B, T_in, attention_dim).</summary>
    public override Tensor forward(Tensor attentionWeightsCat)
    {
        // At inference both layers run as one vectorised pass (their float32 arithmetic, in another order): through
        // libtorch they are ~9 small ops whose fixed costs are 10% of a batch-1 decoder step.
        if (LocationFeatures.Accepts(attentionWeightsCat, location_conv.Weight, location_dense.Weight))
            return LocationFeatures.Compute(attentionWeightsCat, location_conv.Weight, location_dense.Weight);
        // In training one autograd node with a hand-written backward stands for ~70 small ops each way.
        if (LocationFeatures.AcceptsTraining(attentionWeightsCat, location_conv.Weight, location_dense.Weight))
            return LocationFeatures.ComputeWithGradient(attentionWeightsCat, location_conv.Weight, location_dense.Weight);
        using var conv = location_conv.call(attentionWeightsCat);
        using var transposed = conv.transpose(1, 2);
        return location_dense.call(transposed);
    }
}
