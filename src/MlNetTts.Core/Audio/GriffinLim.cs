using TorchSharp;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// Griffin-Lim phase reconstruction exactly as NVIDIA's <c>audio_processing.griffin_lim</c>: start from a
/// phase, then alternate inverse STFT and forward STFT, keeping the given magnitudes and the newest phase.
/// This is the vocoder that needs no training (rough, but enough to hear a mel spectrogram).
/// </summary>
public static class GriffinLim
{
    /// <summary>The reference's default iteration count.</summary>
    public const int DefaultIterations = 30;

    /// <summary>
    /// Signal (B, (frames - 1) * hop) from magnitudes (B, bins, frames). With <paramref name="initialPhase"/> null the
    /// phase starts uniformly random in [-pi, pi) from <paramref name="generator"/> (the reference draws it from numpy's
    /// global RNG; give the phase explicitly to reproduce a reference run). The result belongs to the caller's dispose scope.
    /// </summary>
    public static Tensor Reconstruct(Tensor magnitudes, Stft stft, int iterations = DefaultIterations, Tensor? initialPhase = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(magnitudes);
        ArgumentNullException.ThrowIfNull(stft);
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        TensorCheck.Float32Or64(magnitudes, nameof(magnitudes));
        if (initialPhase is not null)
        {
            TensorCheck.DType(initialPhase, magnitudes.dtype, nameof(initialPhase), "the magnitudes' dtype");
            TensorCheck.OnDevice(initialPhase, magnitudes.device, nameof(initialPhase), "the magnitudes' device");
        }
        if (initialPhase is not null && !initialPhase.shape.SequenceEqual(magnitudes.shape))
            throw new ArgumentException($"initial phase must have the magnitudes' shape [{string.Join(", ", magnitudes.shape)}]; got [{string.Join(", ", initialPhase.shape)}].", nameof(initialPhase));

        using var scope = NewDisposeScope();
        var angles = initialPhase ?? (rand(magnitudes.shape, dtype: magnitudes.dtype, device: magnitudes.device, generator: generator) * (2 * Math.PI) - Math.PI);
        // The reference's STFT pair (windowed DFT of the reflect-padded signal; overlap-add of the windowed inverse,
        // divided by the window's sum-square envelope) computed by FFT: the same transforms as Stft's convolutions to
        // float rounding, in O(n log n) per frame instead of O(n^2) — Griffin-Lim runs 2 x iterations of them.
        var window = tensor(HannWindow.Centered(stft.WinLength, stft.FilterLength), dtype: magnitudes.dtype, device: magnitudes.device);
        long length = (magnitudes.shape[2] - 1) * stft.HopLength;
        Tensor Inverse(Tensor phase) => istft(complex(magnitudes * phase.cos(), magnitudes * phase.sin()), stft.FilterLength, stft.HopLength,
            stft.FilterLength, window, center: true, normalized: false, onesided: true, length: length);
        var signal = Inverse(angles);
        for (int i = 0; i < iterations; i++)
        {
            using var step = NewDisposeScope();
            var spectrum = torch.stft(signal, stft.FilterLength, stft.HopLength, stft.FilterLength, window, center: true,
                pad_mode: PaddingModes.Reflect, normalized: false, onesided: true, return_complex: true);
            var next = Inverse(spectrum.angle()).MoveToOuterDisposeScope();
            signal.Dispose(); // keep one signal alive, not one per iteration
            signal = next;
        }
        return signal.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Signal (B, samples) from a log-mel (B, mels, frames) (or (mels, frames), giving (samples)): linear magnitudes by
    /// the filter bank's pseudo-inverse (<see cref="MelSpectrogram.ToLinear"/>), then <see cref="Reconstruct"/>.
    /// </summary>
    public static Tensor FromLogMel(Tensor logMel, MelSpectrogram melSpectrogram, int iterations = DefaultIterations, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(logMel);
        ArgumentNullException.ThrowIfNull(melSpectrogram);
        using var scope = NewDisposeScope();
        bool single = logMel.dim() == 2;
        var linear = melSpectrogram.ToLinear(single ? logMel.unsqueeze(0) : logMel); // validates dtype, shape and device first
        // NaN would flow through the pseudo-inverse and every iteration into silent garbage audio.
        if (!logMel.isfinite().all().item<bool>())
            throw new ArgumentException("Griffin-Lim: the log-mel holds NaN or infinite values; a mel must be finite.", nameof(logMel));
        var signal = Reconstruct(linear, melSpectrogram.Stft, iterations, generator: generator);
        return (single ? signal.squeeze(0) : signal).MoveToOuterDisposeScope();
    }
}
