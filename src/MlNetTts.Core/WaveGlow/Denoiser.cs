using MlNetTts.Audio;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// Removes WaveGlow's own bias from audio it produced (NVIDIA's <c>waveglow/denoiser.py</c>, mode 'zeros'):
/// the bias spectrum is the STFT magnitude of what the model synthesizes from an all-zero mel with
/// sigma 0, first frame only; denoising subtracts <c>strength</c> x that from each frame's magnitude,
/// clamps at 0, and inverts with the audio's own phase. The STFT is NVIDIA's (<see cref="Stft"/>), in float32.
/// </summary>
public sealed class Denoiser : IDisposable
{
    /// <summary>Frames of the zero mel the bias is synthesized from (hard-coded in the reference).</summary>
    public const int BiasFrames = 88;

    /// <summary>The reference inference script's denoising strength.</summary>
    public const double DefaultStrength = 0.01;

    private readonly Stft _stft;
    private readonly Tensor _biasAudio;
    private readonly Tensor _biasSpectrum;
    private readonly Device _device;

    /// <summary>Computes the bias spectrum of <paramref name="waveglow"/> (one inference of <see cref="BiasFrames"/> frames).</summary>
    /// <param name="waveglow">The vocoder whose bias to remove; not kept.</param>
    /// <param name="filterLength">STFT size.</param>
    /// <param name="nOverlap">Frames overlapping each sample: hop = filterLength / nOverlap.</param>
    /// <param name="winLength">Hann window length.</param>
    public Denoiser(WaveGlowModel waveglow, int filterLength = 1024, int nOverlap = 4, int winLength = 1024)
    {
        ArgumentNullException.ThrowIfNull(waveglow);
        if (nOverlap <= 0 || filterLength % nOverlap != 0)
            throw new ArgumentOutOfRangeException(nameof(nOverlap), nOverlap, $"must divide filterLength {filterLength}");
        _stft = new Stft(filterLength, filterLength / nOverlap, winLength);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = waveglow.Upsampler.parameters().First().device;
        _device = device;
        // The reference builds zeros(1, 80, 88); a model with other mel channels gets its own count (zeros either way).
        var mel = zeros(new long[] { 1, waveglow.Config.NMelChannels, BiasFrames }, device: device);
        // sigma = 0 multiplies the noise away; zeros keep the global random stream untouched.
        var biasAudio = waveglow.Infer(mel, 0.0, shape => zeros(shape, device: device)).to(ScalarType.Float32);
        var (magnitude, _) = _stft.Transform(biasAudio);
        _biasSpectrum = magnitude.narrow(2, 0, 1).contiguous().DetachFromDisposeScope();
        _biasAudio = biasAudio.DetachFromDisposeScope();
    }

    /// <summary>The model's output for the zero mel, (1, BiasFrames x hop samples).</summary>
    public Tensor BiasAudio => _biasAudio;

    /// <summary>|STFT(bias audio)| of the first frame, (1, filterLength / 2 + 1, 1).</summary>
    public Tensor BiasSpectrum => _biasSpectrum;

    /// <summary>
    /// Denoised audio (B, 1, (T / hop) x hop) from audio (B, T): magnitude minus <paramref name="strength"/> x
    /// the bias spectrum, clamped at 0, inverted with the original phase. Audio of at most half an STFT window
    /// (a decoder that stopped at once) has no spectrum to subtract from: it comes back unchanged, cut to whole
    /// hops like the denoised path.
    /// </summary>
    public Tensor Denoise(Tensor audio, double strength = DefaultStrength)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (audio.dim() != 2) throw new ArgumentException($"Denoiser expects audio (B, samples); got ({string.Join(", ", audio.shape)}).", nameof(audio));
        TensorCheck.Floating(audio, nameof(audio));
        TensorCheck.OnDevice(audio, _device, nameof(audio), "the WaveGlow's device");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (audio.shape[1] <= _stft.FilterLength / 2)
            return audio.narrow(1, 0, audio.shape[1] / _stft.HopLength * _stft.HopLength).unsqueeze(1).MoveToOuterDisposeScope();
        var (magnitude, phase) = _stft.Transform(audio.to(ScalarType.Float32));
        var denoised = (magnitude - _biasSpectrum.to(magnitude.device) * strength).clamp_min(0.0);
        return _stft.Inverse(denoised, phase).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _biasAudio.Dispose();
        _biasSpectrum.Dispose();
        _stft.Dispose();
    }
}
