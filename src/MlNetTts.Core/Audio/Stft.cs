using MlNetTts.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// NVIDIA's <c>STFT</c> (tacotron2 common/stft.py), reproduced operation for operation so results agree
/// with the reference to float32 rounding: the forward transform is a strided conv1d with a windowed DFT
/// basis over the reflect-padded signal, the inverse a conv_transpose1d with the windowed pseudo-inverse
/// basis, corrected by the window's sum-square envelope. Batched: one conv per call, nothing per frame.
/// </summary>
/// <remarks>
/// Why not <c>torch.stft</c>: it sums in a different order (measured 3.7e-5 apart on the fixture's log-mel)
/// and its inverse normalises differently; the reference's conv formulation is cheap and exact to port.
/// The bases are built once in float64 (as numpy does) and rounded to float32 at the same points as the
/// reference. Inputs of another device or floating dtype get cached copies of the bases.
/// </remarks>
public sealed class Stft : IDisposable
{
    private static readonly double Float32Tiny = BitConverter.Int32BitsToSingle(0x00800000); // np.finfo(float32).tiny

    private readonly Tensor _forwardBasis; // (2 * bins, 1, filterLength) float32 CPU: rows 0..bins-1 real, bins.. imaginary
    private readonly Tensor _inverseBasis; // (2 * bins, 1, filterLength) float32 CPU: pinv(scale * fourier).T * window
    private readonly double[] _windowSquared; // squared periodic Hann, centred in the frame, float64
    private readonly Dictionary<(DeviceType, int, ScalarType), (Tensor Forward, Tensor Inverse)> _copies = new();
    private readonly object _gate = new();
    private (long Frames, float[] Divisor)? _envelope; // last window sum-square divisor, by frame count
    private bool _disposed;

    /// <param name="filterLength">FFT size (frame length); must be even.</param>
    /// <param name="hopLength">Samples between frames.</param>
    /// <param name="winLength">Hann window length, at most <paramref name="filterLength"/>; centred in the frame.</param>
    public Stft(int filterLength = 1024, int hopLength = 256, int winLength = 1024)
    {
        if (filterLength < 2 || filterLength % 2 != 0 || filterLength > MelSettings.MaxFilterLength)
            throw new ArgumentOutOfRangeException(nameof(filterLength), filterLength, $"the filter length must be even, in [2, {MelSettings.MaxFilterLength}] (the bases take filterLength^2 doubles).");
        ArgumentOutOfRangeException.ThrowIfLessThan(hopLength, 1);
        if (winLength < 1 || winLength > filterLength)
            throw new ArgumentOutOfRangeException(nameof(winLength), winLength, $"the window length must be in [1, filterLength = {filterLength}].");
        FilterLength = filterLength;
        HopLength = hopLength;
        WinLength = winLength;

        using var scope = NewDisposeScope();
        int n = filterLength, bins = FrequencyBins;
        // np.fft.fft(np.eye(n))[:bins]: real rows cos(2 pi k t / n), imaginary rows -sin(2 pi k t / n).
        var fourier = new double[2 * bins * n];
        for (int k = 0; k < bins; k++)
        {
            for (int t = 0; t < n; t++)
            {
                double angle = 2.0 * Math.PI * ((long)k * t % n) / n; // reduce first: exact argument
                fourier[k * n + t] = Math.Cos(angle);
                fourier[(bins + k) * n + t] = k == 0 || 2 * k == n ? 0.0 : -Math.Sin(angle); // exactly 0 at DC and Nyquist
            }
        }
        var fourier64 = tensor(fourier, dtype: ScalarType.Float64).reshape(2 * bins, n);
        var window32 = tensor(Array.ConvertAll(HannWindow.Centered(winLength, filterLength), v => (float)v), dtype: ScalarType.Float32);

        // forward_basis = float32(fourier) * float32(window)
        _forwardBasis = (fourier64.to(ScalarType.Float32) * window32).unsqueeze(1).contiguous().DetachFromDisposeScope();
        // inverse_basis = float32(pinv(scale * fourier).T) * float32(window)
        // The basis rows are mutually orthogonal (squared norms n for cos k = 0 and n/2, n/2 for the others; the
        // sine rows k = 0 and n/2 vanish), so pinv(scale * F).T = F / (scale * |row|^2), zero for vanishing rows:
        // numpy's SVD pinv to float64 rounding, without an O(n^3) SVD (1 s at n = 1024).
        double scale = (double)filterLength / hopLength;
        var inverse = new double[fourier.Length];
        for (int row = 0; row < 2 * bins; row++)
        {
            int k = row % bins;
            bool edge = k == 0 || k == n / 2;
            if (row >= bins && edge) continue; // sin(0) and sin(pi t): no energy, the pseudo-inverse drops them
            double norm2 = edge ? n : n / 2.0;
            for (int t = 0; t < n; t++) inverse[row * n + t] = fourier[row * n + t] / (scale * norm2);
        }
        var inverse32 = tensor(inverse, dtype: ScalarType.Float64).reshape(2 * bins, n).to(ScalarType.Float32);
        _inverseBasis = (inverse32 * window32).unsqueeze(1).contiguous().DetachFromDisposeScope();

        var window = HannWindow.Centered(winLength, filterLength);
        _windowSquared = Array.ConvertAll(window, v => v * v);
    }

    /// <summary>FFT size (frame length).</summary>
    public int FilterLength { get; }

    /// <summary>Samples between frames.</summary>
    public int HopLength { get; }

    /// <summary>Hann window length.</summary>
    public int WinLength { get; }

    /// <summary>Frequency bins per frame: FilterLength / 2 + 1.</summary>
    public int FrequencyBins => FilterLength / 2 + 1;

    /// <summary>Frames of a signal of <paramref name="samples"/> samples: samples / hop + 1 (reflect padding of FilterLength / 2 each side).</summary>
    public long FrameCount(long samples) => samples / HopLength + 1;

    /// <summary>
    /// Forward STFT of a batch of signals (B, T) -> magnitude and phase (atan2(imag, real)), each (B, FilterLength/2 + 1, frames).
    /// T must exceed FilterLength / 2 (reflect padding). The results belong to the caller's dispose scope.
    /// </summary>
    public (Tensor Magnitude, Tensor Phase) Transform(Tensor audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (audio.dim() != 2)
            throw new ArgumentException($"audio must be (batch, samples); got shape [{string.Join(", ", audio.shape)}].", nameof(audio));
        int half = FilterLength / 2;
        if (audio.shape[1] <= half)
            throw new ArgumentException($"audio must be longer than half the filter length ({half} samples) for reflect padding; got {audio.shape[1]} samples.", nameof(audio));
        TensorCheck.Float32Or64(audio, nameof(audio));

        using var scope = NewDisposeScope();
        var (forward, _) = Bases(audio);
        var padded = nn.functional.pad(audio.unsqueeze(1), new long[] { half, half }, PaddingModes.Reflect);
        MlNetTts.Runtime.Nnpack.EnsureDisabled(); // libtorch would try (and on this CPU fail, noisily) to use NNPACK
        var spectrum = nn.functional.conv1d(padded, forward, stride: HopLength);
        int bins = FrequencyBins;
        var real = spectrum.narrow(1, 0, bins);
        var imag = spectrum.narrow(1, bins, bins);
        var magnitude = (real.pow(2) + imag.pow(2)).sqrt();
        var phase = imag.atan2(real);
        return (magnitude.MoveToOuterDisposeScope(), phase.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Inverse STFT: magnitude and phase (B, FilterLength/2 + 1, frames) -> signal (B, 1, (frames - 1) * HopLength),
    /// the reference's shape. The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Inverse(Tensor magnitude, Tensor phase)
    {
        ArgumentNullException.ThrowIfNull(magnitude);
        ArgumentNullException.ThrowIfNull(phase);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (magnitude.dim() != 3 || magnitude.shape[1] != FrequencyBins)
            throw new ArgumentException($"magnitude must be (batch, {FrequencyBins}, frames); got shape [{string.Join(", ", magnitude.shape)}].", nameof(magnitude));
        if (!phase.shape.SequenceEqual(magnitude.shape))
            throw new ArgumentException($"phase must have the magnitude's shape [{string.Join(", ", magnitude.shape)}]; got [{string.Join(", ", phase.shape)}].", nameof(phase));
        TensorCheck.Float32Or64(magnitude, nameof(magnitude));
        TensorCheck.DType(phase, magnitude.dtype, nameof(phase), "the magnitude's dtype");
        TensorCheck.OnDevice(phase, magnitude.device, nameof(phase), "the magnitude's device");

        using var scope = NewDisposeScope();
        var (_, inverse) = Bases(magnitude);
        var recombined = cat(new[] { magnitude * phase.cos(), magnitude * phase.sin() }, 1);
        var signal = nn.functional.conv_transpose1d(recombined, inverse, stride: HopLength);

        long frames = magnitude.shape[2];
        var divisor = tensor(EnvelopeDivisor(frames), dtype: ScalarType.Float32).to(signal.dtype).to(signal.device);
        signal = signal / divisor;                                   // remove the window's modulation where it is not ~0
        signal = signal * ((double)FilterLength / HopLength);        // scale by the hop ratio
        int half = FilterLength / 2;
        return signal.narrow(2, half, signal.shape[2] - 2 * half).MoveToOuterDisposeScope();
    }

    /// <summary>The (2 * bins, 1, FilterLength) float32 forward basis (windowed DFT rows: real, then imaginary). Owned by this object.</summary>
    internal Tensor ForwardBasis => _forwardBasis;

    /// <summary>The (2 * bins, 1, FilterLength) float32 inverse basis (pinv(scale * fourier).T * window). Owned by this object.</summary>
    internal Tensor InverseBasis => _inverseBasis;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _forwardBasis.Dispose();
        _inverseBasis.Dispose();
        foreach (var (f, i) in _copies.Values)
        {
            f.Dispose();
            i.Dispose();
        }
        _copies.Clear();
    }

    private (Tensor Forward, Tensor Inverse) Bases(Tensor like)
    {
        if (like.device_type == DeviceType.CPU && like.dtype == ScalarType.Float32) return (_forwardBasis, _inverseBasis);
        var key = (like.device_type, like.device_index, like.dtype);
        lock (_gate)
        {
            if (!_copies.TryGetValue(key, out var copy))
            {
                copy = (_forwardBasis.to(like.dtype).to(like.device).DetachFromDisposeScope(),
                        _inverseBasis.to(like.dtype).to(like.device).DetachFromDisposeScope());
                _copies[key] = copy;
            }
            return copy;
        }
    }

    /// <summary>
    /// librosa-style window_sumsquare as the reference computes it (float32 accumulator, float64 squared window
    /// added frame by frame), turned into a divisor: the envelope where it exceeds float32 tiny, else 1.
    /// </summary>
    private float[] EnvelopeDivisor(long frames)
    {
        lock (_gate)
        {
            if (_envelope is { } cached && cached.Frames == frames) return cached.Divisor;
            int n = FilterLength;
            long length = n + HopLength * (frames - 1);
            var sum = new float[length];
            for (long f = 0; f < frames; f++)
            {
                long start = f * HopLength;
                for (int i = 0; i < n; i++) sum[start + i] = (float)(sum[start + i] + _windowSquared[i]);
            }
            for (long i = 0; i < length; i++) if (!(sum[i] > Float32Tiny)) sum[i] = 1f;
            _envelope = (frames, sum);
            return sum;
        }
    }
}
