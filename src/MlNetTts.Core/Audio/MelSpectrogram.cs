using MlNetTts.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// NVIDIA's <c>TacotronSTFT.mel_spectrogram</c>: log(clamp(melBasis @ |STFT(audio)|, 1e-5)), batched.
/// Audio (B, T) in [-1, 1] -> log-mel (B, MelChannels, frames) with frames = T / hop + 1.
/// Also the way back used by the Griffin-Lim vocoder: <see cref="ToLinear"/>.
/// </summary>
public sealed class MelSpectrogram : IDisposable
{
    /// <summary>The clamp floor before the log (the reference's <c>clip_val</c>).</summary>
    public const double ClipValue = 1e-5;

    /// <summary>log(<see cref="ClipValue"/>): the log-mel of silence, every magnitude at the floor.</summary>
    public static readonly float SilenceLogMel = (float)Math.Log(ClipValue);

    private readonly Tensor _melBasis;   // (mels, bins) float32 CPU
    private readonly Lazy<Tensor> _melInverse; // (bins, mels) float32: pinv of the filter bank, computed in float64
    private readonly Dictionary<(TorchSharp.DeviceType, int), Tensor> _basisCopies = new();
    private bool _disposed;

    public MelSpectrogram(MelSettings? settings = null)
    {
        Settings = settings ?? MelSettings.Default;
        Settings.Validate();
        Stft = new Stft(Settings.FilterLength, Settings.HopLength, Settings.WinLength);
        _melBasis = MelFilterBank.Create(Settings.SampleRate, Settings.FilterLength, Settings.MelChannels, Settings.FMin, Settings.FMax).DetachFromDisposeScope();
        _melInverse = new Lazy<Tensor>(() =>
        {
            using var scope = NewDisposeScope();
            return torch.linalg.pinv(_melBasis.to(ScalarType.Float64)).to(ScalarType.Float32).DetachFromDisposeScope();
        });
    }

    /// <summary>The parameters.</summary>
    public MelSettings Settings { get; }

    /// <summary>The STFT used (owned by this object).</summary>
    public Stft Stft { get; }

    /// <summary>The (MelChannels, FilterLength/2 + 1) float32 Slaney filter bank (owned by this object; do not dispose).</summary>
    public Tensor MelBasis => _melBasis;

    /// <summary>Frames of a signal of <paramref name="samples"/> samples.</summary>
    public long FrameCount(long samples) => Stft.FrameCount(samples);

    /// <summary>
    /// Log-mel of a batch (B, T) (or one signal (T), giving (MelChannels, frames)). Samples must lie in [-1, 1],
    /// as the reference asserts: unscaled 16-bit integers are the classic mistake this catches.
    /// The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Compute(Tensor audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        ObjectDisposedException.ThrowIf(_disposed, this);
        TensorCheck.Float32Or64(audio, nameof(audio));
        if (audio.dim() is < 1 or > 2)
            throw new ArgumentException($"audio must be (samples) or (batch, samples); got {TensorCheck.Describe(audio)}.", nameof(audio));
        using var scope = NewDisposeScope();
        bool single = audio.dim() == 1;
        var batch = single ? audio.unsqueeze(0) : audio;
        if (batch.numel() > 0)
        {
            double min = batch.min().item<float>(), max = batch.max().item<float>();
            if (!(min >= -1.0 && max <= 1.0))
                throw new ArgumentException($"audio samples must lie in [-1, 1]; got [{min}, {max}] (scale integer PCM by its full-scale value first).", nameof(audio));
        }
        var (magnitude, _) = Stft.Transform(batch);
        var mel = BasisOn(magnitude).matmul(magnitude).clamp_min(ClipValue).log();
        if (single) mel = mel.squeeze(0);
        return mel.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Linear magnitudes (B, FilterLength/2 + 1, frames) from a log-mel (B, MelChannels, frames): exp, then the
    /// filter bank's pseudo-inverse, clamped at 0 (magnitudes cannot be negative). An approximation: the mel
    /// projection loses detail, which is why Griffin-Lim from mels sounds rough.
    /// </summary>
    public Tensor ToLinear(Tensor logMel)
    {
        ArgumentNullException.ThrowIfNull(logMel);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (logMel.dim() is < 2 or > 3 || logMel.shape[^2] != Settings.MelChannels)
            throw new ArgumentException($"log-mel must be ([batch,] {Settings.MelChannels}, frames); got shape [{string.Join(", ", logMel.shape)}].", nameof(logMel));
        TensorCheck.Floating(logMel, nameof(logMel));
        using var scope = NewDisposeScope();
        var inverse = _melInverse.Value.to(logMel.device);
        return inverse.matmul(logMel.to(ScalarType.Float32).exp()).clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Stft.Dispose();
        _melBasis.Dispose();
        if (_melInverse.IsValueCreated) _melInverse.Value.Dispose();
        foreach (var copy in _basisCopies.Values) copy.Dispose();
        _basisCopies.Clear();
    }

    private Tensor BasisOn(Tensor like)
    {
        if (like.device_type == TorchSharp.DeviceType.CPU && like.dtype == ScalarType.Float32) return _melBasis;
        lock (_basisCopies)
        {
            var key = (like.device_type, like.device_index);
            if (!_basisCopies.TryGetValue(key, out var copy))
                _basisCopies[key] = copy = _melBasis.to(like.device).DetachFromDisposeScope();
            return copy.to(like.dtype);
        }
    }
}
