using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// WaveGlow's <c>upsample</c>: a transposed 1-d conv (n_mel -> n_mel channels) that stretches mel frames
/// to audio samples, with PyTorch's <c>ConvTranspose1d</c> parameters <c>weight</c> (in, out, kernel) and
/// <c>bias</c>. Its output has (frames - 1) * stride + kernel samples; <see cref="Overhang"/> of them
/// (kernel - stride) run past the last frame and are what inference trims.
/// </summary>
/// <remarks>Computed in float32 in every precision: it is a small share of the work.</remarks>
public sealed class MelUpsampler : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Creates the layer with PyTorch's default ConvTranspose1d initialisation.</summary>
    /// <param name="channels">Mel channels (in and out).</param>
    /// <param name="kernelSize">Kernel width.</param>
    /// <param name="stride">Samples per frame.</param>
    /// <param name="device">Where the parameters live (the <c>meta</c> device allocates nothing).</param>
    public MelUpsampler(long channels, long kernelSize, long stride, Device? device = null) : base(nameof(MelUpsampler))
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be positive");
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "must be positive");
        if (kernelSize < stride) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"must be at least the stride {stride}");
        KernelSize = kernelSize;
        Stride = stride;
        using (no_grad())
        {
            var w = empty(new[] { channels, channels, kernelSize }, device: device);
            var b = empty(new[] { channels }, device: device);
            if (device is null || device.type != DeviceType.META)
            {
                // ConvTranspose1d.reset_parameters: fan_in is weight.size(1) * kernel = out_channels * kernel.
                double bound = 1.0 / Math.Sqrt(channels * kernelSize);
                w.uniform_(-bound, bound);
                b.uniform_(-bound, bound);
            }
            weight = new Parameter(w);
            bias = new Parameter(b);
        }
        RegisterComponents();
    }

    /// <summary>Kernel width.</summary>
    public long KernelSize { get; }

    /// <summary>Samples per mel frame.</summary>
    public long Stride { get; }

    /// <summary>Samples past the last frame's hop: kernel - stride (768 for the reference's 1024/256).</summary>
    public long Overhang => KernelSize - Stride;

    /// <summary>
    /// Inference: the upsampled mel trimmed to frames * stride samples (the overhang dropped) and grouped as WaveGlow's
    /// conditioning, (B, n_mel * nGroup, frames * stride / nGroup) contiguous with channel = mel * nGroup + offset, or
    /// null when the kernel is not a multiple of the stride or the stride not a multiple of nGroup.
    /// </summary>
    /// <remarks>
    /// The transposed conv as kernel / stride GEMMs: kernel block j of frame f lands on output block f + j, so
    /// block (f + j, out, r) += Σ_m mel[m, f] W[m, out, j * stride + r]. libtorch's conv_transpose1d gets ~25 GFLOP/s
    /// here and builds a (n_mel * kernel, frames) column buffer, 65 MB for 200 frames.
    /// </remarks>
    internal Tensor? GroupedForInference(Tensor mel, long nGroup)
    {
        if (KernelSize % Stride != 0 || Stride % nGroup != 0) return null;
        using var scope = NewDisposeScope();
        long batch = mel.shape[0], frames = mel.shape[2], inChannels = weight.shape[0], outChannels = weight.shape[1];
        long blocks = KernelSize / Stride;
        var output = zeros(new[] { batch, frames + blocks - 1, outChannels * Stride }, mel.dtype, mel.device);
        var melT = mel.transpose(1, 2); // (B, frames, n_mel)
        for (long j = 0; j < blocks; j++)
        {
            var wj = weight.narrow(2, j * Stride, Stride).reshape(inChannels, outChannels * Stride);
            output.narrow(1, j, frames).add_(melT.matmul(wj));
        }
        // Keep the first frames blocks (the rest is the overhang), add the bias, regroup:
        // sample g * stride + u * nGroup + k -> channel out * nGroup + k, step g * (stride / nGroup) + u.
        var kept = output.narrow(1, 0, frames).view(batch, frames, outChannels, Stride / nGroup, nGroup);
        kept = kept + bias.view(1, 1, outChannels, 1, 1);
        return kept.permute(0, 2, 4, 1, 3).reshape(batch, outChannels * nGroup, frames * (Stride / nGroup)).MoveToOuterDisposeScope();
    }

    /// <summary>(B, n_mel, frames) -> (B, n_mel, (frames - 1) * stride + kernel).</summary>
    public override Tensor forward(Tensor mel) =>
        nn.functional.conv_transpose1d(mel, weight, bias, stride: Stride);
}
