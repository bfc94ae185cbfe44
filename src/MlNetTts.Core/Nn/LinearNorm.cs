using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// NVIDIA's <c>common.layers.LinearNorm</c>: a linear layer (child <c>linear_layer</c>, so state_dict keys are
/// <c>linear_layer.weight</c>/<c>linear_layer.bias</c>) with Xavier-uniform weights scaled by the gain of the
/// nonlinearity that follows. Its math honours the active <see cref="CastingScope"/>.
/// </summary>
public sealed class LinearNorm : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_layer;

    public LinearNorm(long inDim, long outDim, bool bias = true, nn.init.NonlinearityType gain = nn.init.NonlinearityType.Linear)
        : base(nameof(LinearNorm))
    {
        linear_layer = nn.Linear(inDim, outDim, hasBias: bias);
        using (no_grad()) nn.init.xavier_uniform_(linear_layer.weight, nn.init.calculate_gain(gain));
        RegisterComponents();
    }

    /// <summary>The weight, (out, in).</summary>
    public Tensor Weight => linear_layer.weight!;

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias => linear_layer.bias;

    public override Tensor forward(Tensor input) => Cast.Linear(input, linear_layer.weight!, linear_layer.bias);
}
