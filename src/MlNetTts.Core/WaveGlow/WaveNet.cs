using MlNetTts.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// The WaveNet-like network of one affine coupling layer (NVIDIA's <c>WN</c>): non-causal dilated
/// convolutions, dilation 2^i, gated by <c>tanh(a[:C]) * sigmoid(a[C:])</c> of
/// <c>in_layers[i](x) + cond_layers[i](mel)</c>, residual + skip 1x1 convs (the last layer skip only),
/// then a plain <c>end</c> conv to 2 x <c>n_in_channels</c> outputs (b, then log_s). Every conv but
/// <c>end</c> is weight-normed; the release 20.06 has one conditioning conv per layer.
/// </summary>
public sealed class WaveNet : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names and order are NVIDIA's state_dict names and order.
    private readonly ModuleList<WeightNormConv1d> in_layers = new();
    private readonly ModuleList<WeightNormConv1d> res_skip_layers = new();
    private readonly ModuleList<WeightNormConv1d> cond_layers = new();
    private readonly WeightNormConv1d start;
    private readonly WeightNormConv1d end;
    private readonly long _nChannels;

    /// <summary>Builds the network with the reference initialisation (<c>end</c> zeroed, so a new coupling starts as the identity).</summary>
    /// <param name="nInChannels">Audio channels entering (half of the flow's channels).</param>
    /// <param name="nMelChannels">Conditioning channels (mel channels x n_group).</param>
    /// <param name="config">Layers, kernel and channels.</param>
    /// <param name="weightNorm">Build in weight-norm form (training, checkpoints) or folded form (inference).</param>
    /// <param name="device">Where the parameters live (the <c>meta</c> device allocates nothing).</param>
    public WaveNet(long nInChannels, long nMelChannels, WaveNetConfig config, bool weightNorm = true, Device? device = null)
        : base(nameof(WaveNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.KernelSize % 2 != 1) throw new ArgumentException($"WN kernel_size {config.KernelSize} must be odd.", nameof(config));
        if (config.NChannels % 2 != 0) throw new ArgumentException($"WN n_channels {config.NChannels} must be even.", nameof(config));
        _nChannels = config.NChannels;
        long c = config.NChannels;

        var form = weightNorm ? WeightNormForm.Applied : WeightNormForm.Removed;
        start = new WeightNormConv1d(nInChannels, c, 1, form, device: device);
        end = new WeightNormConv1d(c, 2 * nInChannels, 1, WeightNormForm.None, device: device);
        if (device is null || device.type != DeviceType.META)
            using (no_grad())
                foreach (var p in end.parameters()) p.zero_();

        for (int i = 0; i < config.NLayers; i++)
        {
            long dilation = 1L << i;
            long padding = (config.KernelSize * dilation - dilation) / 2;
            in_layers.Add(new WeightNormConv1d(c, 2 * c, config.KernelSize, form, dilation, padding, device: device));
            cond_layers.Add(new WeightNormConv1d(nMelChannels, 2 * c, 1, form, device: device));
            // The last layer has no residual output, only skip.
            long resSkipChannels = i < config.NLayers - 1 ? 2 * c : c;
            res_skip_layers.Add(new WeightNormConv1d(c, resSkipChannels, 1, form, device: device));
        }
        RegisterComponents();
    }

    /// <summary>Every conv that carries weight norm in NVIDIA's WN (all but <c>end</c>).</summary>
    internal IEnumerable<WeightNormConv1d> WeightNormedConvs() =>
        new[] { start }.Concat(in_layers).Concat(cond_layers).Concat(res_skip_layers);

    /// <summary>(B, 2 x n_in, T): rows [0, n_in) are b, rows [n_in, 2 n_in) are log_s.</summary>
    /// <param name="audio">(B, n_in, T) the coupling's first half.</param>
    /// <param name="spect">(B, n_mel x n_group, T) grouped conditioning.</param>
    public override Tensor forward(Tensor audio, Tensor spect)
    {
        using var scope = NewDisposeScope();
        var x = start.call(audio);
        Tensor? output = null;
        int nLayers = in_layers.Count;
        for (int i = 0; i < nLayers; i++)
        {
            var a = in_layers[i].call(x) + cond_layers[i].call(spect);
            var acts = a.narrow(1, 0, _nChannels).tanh() * a.narrow(1, _nChannels, _nChannels).sigmoid();
            var resSkip = res_skip_layers[i].call(acts);
            Tensor skip;
            if (i < nLayers - 1)
            {
                x = resSkip.narrow(1, 0, _nChannels) + x;
                skip = resSkip.narrow(1, _nChannels, _nChannels);
            }
            else
            {
                skip = resSkip;
            }
            output = output is null ? skip : skip + output;
        }
        return end.call(output!).MoveToOuterDisposeScope();
    }
}
