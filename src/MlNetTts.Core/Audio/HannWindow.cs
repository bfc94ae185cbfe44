using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// The periodic Hann window of scipy's <c>get_window('hann', n, fftbins=True)</c>, as NVIDIA's STFT uses
/// it: computed in float64, centred (zero-padded) in the FFT frame when the window is shorter.
/// </summary>
public static class HannWindow
{
    /// <summary>w[i] = 0.5 + 0.5 cos(-pi + 2 pi i / n), i in [0, n) (periodic: the point i = n is left out), in float64,
    /// evaluated the way scipy does (general_cosine over numpy's linspace) so float32 roundings agree.</summary>
    public static double[] Periodic(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        var w = new double[length];
        if (length == 1)
        {
            w[0] = 1.0; // scipy's value for a one-point window
            return w;
        }
        double step = 2.0 * Math.PI / length; // linspace(-pi, pi, n + 1): start + i * (delta / div)
        for (int i = 0; i < length; i++) w[i] = 0.5 + 0.5 * Math.Cos(i * step + -Math.PI);
        return w;
    }

    /// <summary>The periodic window of <paramref name="windowLength"/> points centred in <paramref name="frameLength"/>
    /// (librosa <c>pad_center</c>: (frame - window) / 2 zeros before it), in float64.</summary>
    public static double[] Centered(int windowLength, int frameLength)
    {
        if (windowLength > frameLength)
            throw new ArgumentOutOfRangeException(nameof(windowLength), windowLength, $"the window must not be longer than the frame ({frameLength}).");
        var window = Periodic(windowLength);
        var padded = new double[frameLength];
        Array.Copy(window, 0, padded, (frameLength - windowLength) / 2, windowLength);
        return padded;
    }

    /// <summary>The periodic window as a float32 tensor (length <paramref name="length"/>), owned by the caller's dispose scope.</summary>
    public static Tensor Create(int length) =>
        tensor(Array.ConvertAll(Periodic(length), v => (float)v), dtype: ScalarType.Float32);
}
