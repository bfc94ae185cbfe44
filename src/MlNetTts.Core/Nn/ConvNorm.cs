using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// NVIDIA's <c>common.layers.ConvNorm</c>: a 1-d convolution (child <c>conv</c>, so state_dict keys are
/// <c>conv.weight</c>/<c>conv.bias</c>) with Xavier-uniform weights scaled by the gain of the nonlinearity that
/// follows; padding defaults to <c>dilation*(kernel-1)/2</c> ("same" for odd kernels). Its math honours the
/// active <see cref="CastingScope"/> (bf16 convolution goes through <see cref="Cast.Conv1d"/>'s safe path).
/// </summary>
public sealed class ConvNorm : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly long _stride;
    private readonly long _padding;
    private readonly long _dilation;

    public ConvNorm(long inChannels, long outChannels, long kernelSize = 1, long stride = 1, long? padding = null,
        long dilation = 1, bool bias = true, nn.init.NonlinearityType gain = nn.init.NonlinearityType.Linear)
        : base(nameof(ConvNorm))
    {
        if (padding is null && kernelSize % 2 != 1)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "ConvNorm without explicit padding needs an odd kernel size.");
        _stride = stride;
        _padding = padding ?? dilation * (kernelSize - 1) / 2;
        _dilation = dilation;
        conv = nn.Conv1d(inChannels, outChannels, kernelSize, stride: stride, padding: _padding, dilation: dilation, bias: bias);
        using (no_grad()) nn.init.xavier_uniform_(conv.weight, nn.init.calculate_gain(gain));
        RegisterComponents();
    }

    /// <summary>The weight, (out, in, kernel).</summary>
    public Tensor Weight => conv.weight!;

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias => conv.bias;

    public override Tensor forward(Tensor input) => Cast.Conv1d(input, conv.weight!, conv.bias, _stride, _padding, _dilation);
}
