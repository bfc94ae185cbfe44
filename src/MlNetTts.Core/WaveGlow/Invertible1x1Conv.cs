using MlNetTts.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// The invertible 1x1 convolution of a flow (NVIDIA's <c>Invertible1x1Conv</c>): mixes the audio
/// channels with a c x c matrix W and reports <c>log|det W|</c> per sample group; at inference it
/// applies W^-1.
/// </summary>
/// <remarks>
/// As in the reference, log det W and the inverse are computed in float32 whatever the model's
/// precision, and the inverse is computed once and reused. Unlike the reference's plain attribute
/// (stale after new weights are loaded), the cache here is dropped by <see cref="InvalidateInverse"/>
/// (called by <see cref="WaveGlowModel"/> whenever it loads weights) and is also rebuilt when W no longer
/// equals the matrix it was computed from (an optimizer step, a load through another path). The cache
/// is not a parameter or buffer: it is not in the state_dict.
/// </remarks>
public sealed class Invertible1x1Conv : nn.Module<Tensor, Tensor>
{
    private readonly WeightNormConv1d conv;
    private readonly InverseCache _inverse = new();

    /// <summary>A c x c invertible conv initialised as the reference does: a random orthonormal matrix with det +1.</summary>
    /// <param name="channels">c, the audio channels at this flow.</param>
    /// <param name="device">Where W lives (the <c>meta</c> device allocates nothing).</param>
    public Invertible1x1Conv(long channels, Device? device = null) : base(nameof(Invertible1x1Conv))
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be positive");
        Channels = channels;
        conv = new WeightNormConv1d(channels, channels, 1, WeightNormForm.None, hasBias: false, device: device);
        if (device is null || device.type != DeviceType.META)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (q, _) = linalg.qr(randn(channels, channels));
            if (linalg.det(q).item<float>() < 0) q[.., 0] = q[.., 0].neg();
            conv.Weight().copy_(q.unsqueeze(-1));
        }
        RegisterComponents();
    }

    /// <summary>c, the channels mixed.</summary>
    public long Channels { get; }

    /// <summary>How many times W^-1 has been computed (once per weight change; for tests and diagnostics).</summary>
    public int InverseComputations => _inverse.Computations;

    /// <summary>W as (c, c, 1), the <c>conv.weight</c> parameter.</summary>
    public Tensor Weight => conv.Weight();

    /// <summary>
    /// z' = W z and log_det_W = B * n_of_groups * logdet(W) (float32 scalar, computed from W in float32).
    /// </summary>
    /// <param name="z">(B, c, n_of_groups).</param>
    public (Tensor Z, Tensor LogDetW) Forward(Tensor z)
    {
        CheckInput(z);
        using var scope = NewDisposeScope();
        long batch = z.shape[0], groups = z.shape[2];
        var w = conv.Weight().squeeze(-1);
        var logDetW = w.to(ScalarType.Float32).logdet() * (double)(batch * groups);
        var output = conv.call(z);
        return (output.MoveToOuterDisposeScope(), logDetW.MoveToOuterDisposeScope());
    }

    /// <summary>The mixed channels W z (forward direction without the log-determinant).</summary>
    public override Tensor forward(Tensor z) => conv.call(z);

    /// <summary>z = W^-1 z' with the cached inverse (computed from W in float32 on first use after a weight change).</summary>
    /// <param name="z">(B, c, n_of_groups).</param>
    public Tensor Reverse(Tensor z)
    {
        CheckInput(z);
        var inverse = _inverse.For(conv.Weight());
        using var scope = NewDisposeScope();
        var w = inverse.dtype == z.dtype ? inverse : inverse.to(z.dtype);
        return Cast.Conv1d(z, w, null).MoveToOuterDisposeScope();
    }

    /// <summary>Drops the cached W^-1; the next <see cref="Reverse"/> recomputes it. Call after changing W in place.</summary>
    public void InvalidateInverse() => _inverse.Invalidate();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _inverse.Invalidate();
        base.Dispose(disposing);
    }

    private void CheckInput(Tensor z)
    {
        if (z.dim() != 3 || z.shape[1] != Channels)
            throw new ArgumentException($"Invertible1x1Conv expects (B, {Channels}, groups); got ({string.Join(", ", z.shape)}).", nameof(z));
    }

    /// <summary>W^-1 (c, c, 1) in float32 with the copy of W it was computed from.</summary>
    private sealed class InverseCache
    {
        private Tensor? _inverse;
        private Tensor? _source;

        public int Computations { get; private set; }

        public Tensor For(Tensor weight)
        {
            if (_inverse is not null && _source is not null && Same(weight, _source)) return _inverse;
            Invalidate();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var w = weight.detach();
            _source = w.clone().DetachFromDisposeScope();
            _inverse = w.squeeze(-1).to(ScalarType.Float32).inverse().unsqueeze(-1).DetachFromDisposeScope();
            Computations++;
            return _inverse;
        }

        public void Invalidate()
        {
            _inverse?.Dispose();
            _source?.Dispose();
            _inverse = null;
            _source = null;
        }

        private static bool Same(Tensor weight, Tensor source) =>
            weight.dtype == source.dtype && weight.device_type == source.device_type && weight.device_index == source.device_index &&
            weight.shape.SequenceEqual(source.shape) && weight.allclose(source, rtol: 0, atol: 0);
    }
}
