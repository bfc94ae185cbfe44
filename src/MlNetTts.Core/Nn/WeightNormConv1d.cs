using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// A 1-d convolution with PyTorch's <c>nn.Conv1d</c> parameter names, optionally reparameterised by
/// weight norm as <c>torch.nn.utils.weight_norm(conv, name='weight')</c> does (TorchSharp has none):
/// the weight is <c>weight_g * weight_v / ||weight_v||</c>, the norm taken per output channel over all
/// other dims, and <c>weight_g</c> has shape (out, 1, 1). <see cref="RemoveWeightNorm"/> folds it into
/// a plain <c>weight</c> once, for inference, as <c>remove_weight_norm</c> does.
/// </summary>
/// <remarks>
/// Parameters are registered in PyTorch's state_dict order for each form: a plain conv lists
/// <c>weight, bias</c>; under weight norm <c>bias, weight_g, weight_v</c> (weight_norm deletes
/// <c>weight</c> and appends g and v); after removal <c>bias, weight</c>. The math goes through
/// <see cref="Cast.Conv1d"/>, so it honours an active <see cref="CastingScope"/>.
/// </remarks>
public sealed class WeightNormConv1d : nn.Module<Tensor, Tensor>
{
    // Field names are the state_dict names. Unused ones stay null and are never registered.
    private Parameter? weight;
    private Parameter? bias;
    private Parameter? weight_g;
    private Parameter? weight_v;

    /// <summary>Creates the layer with PyTorch's default Conv1d initialisation (and, under weight norm, g = ||w||, v = w).</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel width.</param>
    /// <param name="form">Plain, under weight norm (weight_g, weight_v), or with weight norm removed (folded weight after bias).</param>
    /// <param name="dilation">Dilation.</param>
    /// <param name="padding">Zero padding on both sides.</param>
    /// <param name="hasBias">Whether the layer has a bias.</param>
    /// <param name="device">Where the parameters live; on the <c>meta</c> device nothing is allocated or initialised.</param>
    public WeightNormConv1d(long inChannels, long outChannels, long kernelSize, WeightNormForm form,
        long dilation = 1, long padding = 0, bool hasBias = true, Device? device = null)
        : base(nameof(WeightNormConv1d))
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "must be positive");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "must be positive");
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be positive");
        if (dilation <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "must be positive");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "must not be negative");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Dilation = dilation;
        Padding = padding;

        using (no_grad())
        {
            bool allocate = device is null || device.type != DeviceType.META;
            var w = empty(new[] { outChannels, inChannels, kernelSize }, device: device);
            var b = hasBias ? empty(new[] { outChannels }, device: device) : null;
            if (allocate)
            {
                // nn.Conv1d.reset_parameters: kaiming_uniform_(a=sqrt(5)) and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
                // both of which come to a bound of 1/sqrt(fan_in).
                double bound = 1.0 / Math.Sqrt(inChannels * kernelSize);
                w.uniform_(-bound, bound);
                b?.uniform_(-bound, bound);
            }
            switch (form)
            {
                case WeightNormForm.None:
                    register_parameter(nameof(weight), weight = new Parameter(w));
                    if (b is not null) register_parameter(nameof(bias), bias = new Parameter(b));
                    break;
                case WeightNormForm.Applied:
                    if (b is not null) register_parameter(nameof(bias), bias = new Parameter(b));
                    var g = allocate ? ChannelNorm(w) : empty(new[] { outChannels, 1L, 1L }, device: device);
                    register_parameter(nameof(weight_g), weight_g = new Parameter(g));
                    register_parameter(nameof(weight_v), weight_v = new Parameter(w));
                    break;
                case WeightNormForm.Removed:
                    if (b is not null) register_parameter(nameof(bias), bias = new Parameter(b));
                    register_parameter(nameof(weight), weight = new Parameter(w));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(form), form, "unknown weight-norm form");
            }
            Form = form;
        }
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel width.</summary>
    public long KernelSize { get; }

    /// <summary>Dilation.</summary>
    public long Dilation { get; }

    /// <summary>Zero padding on both sides.</summary>
    public long Padding { get; }

    /// <summary>The layer's current form (<see cref="WeightNormForm.Removed"/> after <see cref="RemoveWeightNorm"/>).</summary>
    public WeightNormForm Form { get; private set; }

    /// <summary>Whether the weight is currently reparameterised by weight norm (weight_g, weight_v).</summary>
    public bool IsWeightNormed => Form == WeightNormForm.Applied;

    /// <summary>The bias, or null.</summary>
    public Parameter? Bias => bias;

    /// <summary>
    /// The effective weight (out, in, k): the plain parameter, or <c>v * (g / ||v||)</c> computed now
    /// (differentiable, a new tensor owned by the caller's dispose scope).
    /// </summary>
    public Tensor Weight() => weight ?? WeightFromNorm(weight_g!, weight_v!);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (weight is not null) return Cast.Conv1d(input, weight, bias, 1, Padding, Dilation);
        using var scope = NewDisposeScope();
        var w = WeightFromNorm(weight_g!, weight_v!);
        // A casting scope caches casts by tensor handle; this weight is new on every call and its handle
        // may be reused once freed, so cast it here (the scope then passes it through uncached).
        var casting = CastingScope.Current;
        if (casting is not null) w = w.to(casting.DType);
        return Cast.Conv1d(input, w, bias, 1, Padding, Dilation).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Folds weight norm into a plain <c>weight</c> (as <c>torch.nn.utils.remove_weight_norm</c>): drops
    /// weight_g and weight_v, appends weight after bias. Does nothing if the layer has no weight norm.
    /// </summary>
    public void RemoveWeightNorm()
    {
        if (weight_v is null) return;
        Tensor folded;
        using (no_grad()) folded = WeightFromNorm(weight_g!, weight_v).detach();
        ConditionallyRegisterParameter(nameof(weight_g), null);
        ConditionallyRegisterParameter(nameof(weight_v), null);
        weight_g?.Dispose();
        weight_v.Dispose();
        weight_g = null;
        weight_v = null;
        weight = new Parameter(folded, requires_grad: true);
        ConditionallyRegisterParameter(nameof(weight), weight);
        Form = WeightNormForm.Removed;
    }

    /// <summary><c>v * (g / ||v||)</c> with the norm over every dim but 0 (PyTorch's <c>_weight_norm(v, g, 0)</c>).</summary>
    public static Tensor WeightFromNorm(Tensor g, Tensor v)
    {
        using var scope = NewDisposeScope();
        return (v * (g / ChannelNorm(v))).MoveToOuterDisposeScope();
    }

    /// <summary>The L2 norm of each output channel (dim 0) over all other dims, shaped (out, 1, ..., 1).</summary>
    public static Tensor ChannelNorm(Tensor w)
    {
        var dims = Enumerable.Range(1, (int)w.dim() - 1).Select(d => (long)d).ToArray();
        return linalg.vector_norm(w, 2, dims, keepdim: true);
    }
}
