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
            Tensor skip;
            (x, skip) = ResidualAndSkip(res_skip_layers[i].call(acts), x, last: i == nLayers - 1);
            output = output is null ? skip : skip + output;
        }
        return end.call(output!).MoveToOuterDisposeScope();
    }

    /// <summary>Off: in 16 bits the in_layer and the conditioning stay two products (benchmarks compare both).</summary>
    internal static bool FuseConditioning { get; set; } = true;

    /// <summary>Kernel width of the dilated in_layers.</summary>
    internal long KernelSize => in_layers[0].KernelSize;

    /// <summary>Residual channels (n_channels).</summary>
    internal long Channels => _nChannels;

    /// <summary>
    /// The weights <see cref="Infer"/> uses, made once per WaveGlow inference (alive for the whole pass, so a casting
    /// scope never sees a freed handle): every conv's effective weight (weight norm applied), each in_layer's K taps
    /// stacked into one pointwise weight (2C, K*C, 1), and, inside <paramref name="casting"/>, all of them already in
    /// its 16-bit type (so the small res_skip layers compute there too instead of skipping the scope). In float32,
    /// when <paramref name="steps"/> (the time axis) suits <see cref="PointwiseGemm"/>, the weights are packed for it.
    /// </summary>
    internal InferenceWeights PrepareInference(CastingScope? casting, long steps = 0)
    {
        Tensor Ready(Tensor t) => casting is null || t.dtype == casting.DType ? t : t.to(casting.DType);
        Tensor? ReadyBias(WeightNormConv1d conv) => conv.Bias is null ? null : Ready(conv.Bias);
        int n = in_layers.Count;
        // Float32 over a time axis the kernel tiles: every product through PointwiseGemm, its weights packed here.
        bool packed = casting is null && PointwiseGemm.TakesSteps(steps)
            && in_layers.Concat(cond_layers).Concat(res_skip_layers).All(c => c.Weight().dtype == ScalarType.Float32 && c.Weight().shape[0] % PointwiseGemm.Rows == 0);
        Tensor Form(Tensor w) => packed ? PointwiseGemm.Pack(w) : Ready(w);
        var weights = new InferenceWeights(n) { Packed = packed };
        for (int i = 0; i < n; i++)
        {
            var w = in_layers[i].Weight(); // (2C, C, K) -> (2C, K*C, 1) with column k*C + c = w[:, c, k]
            weights.InStacked[i] = Form(w.permute(0, 2, 1).reshape(w.shape[0], -1, 1));
            weights.InBias[i] = ReadyBias(in_layers[i]);
            weights.Cond[i] = Form(cond_layers[i].Weight());
            weights.CondBias[i] = ReadyBias(cond_layers[i]);
            weights.ResSkip[i] = Form(res_skip_layers[i].Weight());
            weights.ResSkipBias[i] = ReadyBias(res_skip_layers[i]);
            if (casting is not null && FuseConditioning)
            {
                // In 16 bits the in_layer and the conditioning are one GEMM over [taps; spect] (one pass over the
                // output instead of two products and an add): 5-10% of a bf16 inference (waveglow-profile, "in+cond fused").
                weights.InCond[i] = cat([weights.InStacked[i], weights.Cond[i]], 1);
                weights.InCondBias[i] = weights.InBias[i] is { } bIn && weights.CondBias[i] is { } bCond ? bIn + bCond : weights.InBias[i] ?? weights.CondBias[i];
            }
        }
        return weights;
    }

    /// <summary>
    /// <see cref="forward"/> for inference, computed faster with the same math: each dilated in_layer is one
    /// pointwise conv over <paramref name="taps"/> (its K shifted copies of x stacked on the channel axis), which
    /// runs as <see cref="PointwiseGemm"/> (or oneDNN's 1x1 kernel) in float32 (oneDNN's dilated kernels are 3-5x
    /// slower) and as one GEMM in bf16.
    /// </summary>
    /// <param name="audio">(B, n_in, T).</param>
    /// <param name="spect">(B, n_mel x n_group, T) contiguous, in the compute type.</param>
    /// <param name="weights">From <see cref="PrepareInference"/>.</param>
    /// <param name="taps">(B, K*C, T) scratch in the compute type (overwritten), or (B, K*C + mel, T) whose last rows hold
    /// <paramref name="spect"/> (then, in 16 bits, the in_layer and the conditioning are one product).</param>
    internal Tensor Infer(Tensor audio, Tensor spect, InferenceWeights weights, Tensor taps)
    {
        using var scope = NewDisposeScope();
        var dtype = audio.dtype;
        Tensor Conv(Tensor input, Tensor w, Tensor? b)
        {
            var y = Cast.Conv1d(input, w, b);
            return y.dtype == dtype ? y : y.to(dtype);
        }
        var x = start.call(audio);
        Tensor? output = null;
        int nLayers = in_layers.Count;
        long kernel = KernelSize, groups = x.shape[2];
        for (int i = 0; i < nLayers; i++)
        {
            long dilation = in_layers[i].Dilation, padding = in_layers[i].Padding;
            for (int tap = 0; tap < kernel; tap++)
            {
                // Output step t reads x[t + shift]; steps that fall outside are the conv's zero padding.
                long shift = tap * dilation - padding;
                var rows = taps.narrow(1, tap * _nChannels, _nChannels);
                long from = Math.Clamp(-shift, 0, groups), to = Math.Clamp(groups - shift, from, groups);
                if (from > 0) rows.narrow(2, 0, from).zero_();
                if (to < groups) rows.narrow(2, to, groups - to).zero_();
                if (to > from) rows.narrow(2, from, to - from).copy_(x.narrow(2, from + shift, to - from));
            }
            bool last = i == nLayers - 1;
            if (weights.Packed)
            {
                // PointwiseGemm adds each product where it goes: the conditioning onto the in_layer's output, the
                // residual rows onto x (ours: start's output or an earlier sum), the skip rows onto the running sum.
                int threads = get_num_threads();
                var gates = PointwiseGemm.Multiply(taps, weights.InStacked[i], weights.InBias[i], threads);
                PointwiseGemm.MultiplyAdd(spect, weights.Cond[i], 0, 2 * _nChannels, weights.CondBias[i], gates, threads);
                var activations = GatedActivation.Accepts(gates)
                    ? GatedActivation.Apply(gates, threads)
                    : gates.narrow(1, 0, _nChannels).tanh_().mul_(gates.narrow(1, _nChannels, _nChannels).sigmoid_());
                output ??= zeros_like(x);
                long skipFrom = last ? 0 : _nChannels;
                if (!last) PointwiseGemm.MultiplyAdd(activations, weights.ResSkip[i], 0, _nChannels, weights.ResSkipBias[i], x, threads);
                PointwiseGemm.MultiplyAdd(activations, weights.ResSkip[i], skipFrom, skipFrom + _nChannels, weights.ResSkipBias[i], output, threads);
                continue;
            }
            Tensor a;
            if (weights.InCond[i] is { } inCond && taps.shape[1] == inCond.shape[1])
            {
                a = Conv(taps, inCond, weights.InCondBias[i]); // taps carries the conditioning in its last rows
            }
            else
            {
                a = Conv(kernel * _nChannels == taps.shape[1] ? taps : taps.narrow(1, 0, kernel * _nChannels), weights.InStacked[i], weights.InBias[i]);
                a.add_(Conv(spect, weights.Cond[i], weights.CondBias[i]));
            }
            var acts = GatedActivation.Accepts(a)
                ? GatedActivation.Apply(a, get_num_threads())
                : a.narrow(1, 0, _nChannels).tanh_().mul_(a.narrow(1, _nChannels, _nChannels).sigmoid_());
            Tensor skip;
            (x, skip) = ResidualAndSkip(Conv(acts, weights.ResSkip[i], weights.ResSkipBias[i]), x, last);
            output = output is null ? skip.contiguous() : output.add_(skip);
        }
        return end.call(output!).MoveToOuterDisposeScope();
    }

    /// <summary>Per-layer inference weights of one WN (see <see cref="PrepareInference"/>).</summary>
    internal sealed class InferenceWeights(int layers)
    {
        public Tensor[] InStacked { get; } = new Tensor[layers];
        public Tensor?[] InBias { get; } = new Tensor?[layers];
        public Tensor[] Cond { get; } = new Tensor[layers];
        public Tensor?[] CondBias { get; } = new Tensor?[layers];
        public Tensor[] ResSkip { get; } = new Tensor[layers];
        public Tensor?[] ResSkipBias { get; } = new Tensor?[layers];

        /// <summary>16-bit only: [in_layer stacked | cond] weights (2C, K*C + mel, 1) and their summed bias, for a taps buffer that ends with the conditioning.</summary>
        public Tensor?[] InCond { get; } = new Tensor?[layers];
        public Tensor?[] InCondBias { get; } = new Tensor?[layers];

        /// <summary>Float32 weights packed for <see cref="PointwiseGemm"/> (every product goes through it).</summary>
        public bool Packed { get; init; }
    }

    /// <summary>
    /// Splits a res_skip output: every layer but the last has 2C channels, the first C added to x as the residual
    /// and the rest the skip; the last layer's C channels are all skip (x unchanged).
    /// </summary>
    private (Tensor X, Tensor Skip) ResidualAndSkip(Tensor resSkip, Tensor x, bool last) =>
        last ? (x, resSkip) : (resSkip.narrow(1, 0, _nChannels) + x, resSkip.narrow(1, _nChannels, _nChannels));
}
