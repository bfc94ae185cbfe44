using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// librosa's <c>filters.mel</c> with its defaults (Slaney mel scale, Slaney area normalisation), which
/// NVIDIA's TacotronSTFT uses: triangles between consecutive mel-spaced edges over the FFT bin
/// frequencies, each scaled by 2 / (upper edge - lower edge) so every filter has unit area in Hz.
/// Computed in float64 and rounded to float32 where librosa rounds (weights, then weights * norm).
/// </summary>
public static class MelFilterBank
{
    private const double LinearHzPerMel = 200.0 / 3.0;   // Slaney: linear below 1 kHz, 66.67 Hz per mel
    private const double LogStartHz = 1000.0;
    private const double LogStartMel = LogStartHz / LinearHzPerMel;
    private static readonly double LogStep = Math.Log(6.4) / 27.0;

    /// <summary>Slaney mel of a frequency in Hz (librosa <c>hz_to_mel(htk=False)</c>).</summary>
    public static double HzToMel(double hz) =>
        hz >= LogStartHz ? LogStartMel + Math.Log(hz / LogStartHz) / LogStep : hz / LinearHzPerMel;

    /// <summary>Frequency in Hz of a Slaney mel (librosa <c>mel_to_hz(htk=False)</c>).</summary>
    public static double MelToHz(double mel) =>
        mel >= LogStartMel ? LogStartHz * Math.Exp(LogStep * (mel - LogStartMel)) : LinearHzPerMel * mel;

    /// <summary>
    /// The (melChannels, fftSize/2 + 1) float32 filter bank, owned by the caller's dispose scope.
    /// </summary>
    /// <param name="sampleRate">Sample rate in Hz.</param>
    /// <param name="fftSize">FFT size (the STFT's filter length).</param>
    /// <param name="melChannels">Number of mel filters.</param>
    /// <param name="fMin">Lowest edge in Hz.</param>
    /// <param name="fMax">Highest edge in Hz; null means sampleRate / 2 (librosa's default).</param>
    public static Tensor Create(int sampleRate, int fftSize, int melChannels, double fMin = 0, double? fMax = null) =>
        tensor(Weights(sampleRate, fftSize, melChannels, fMin, fMax), dtype: ScalarType.Float32).reshape(melChannels, fftSize / 2 + 1);

    /// <summary>The filter bank as a row-major float32 array of (melChannels, fftSize/2 + 1).</summary>
    public static float[] Weights(int sampleRate, int fftSize, int melChannels, double fMin = 0, double? fMax = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fftSize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(melChannels, 1);
        double top = fMax ?? sampleRate / 2.0;
        if (!(fMin >= 0) || !(top > fMin))
            throw new ArgumentOutOfRangeException(nameof(fMax), top, $"need 0 <= fMin ({fMin}) < fMax.");

        int bins = fftSize / 2 + 1;
        var fftFreqs = Linspace(0, sampleRate / 2.0, bins);
        var mels = Linspace(HzToMel(fMin), HzToMel(top), melChannels + 2);
        var edges = Array.ConvertAll(mels, MelToHz);

        var weights = new float[melChannels * bins];
        for (int m = 0; m < melChannels; m++)
        {
            double lowerWidth = edges[m + 1] - edges[m], upperWidth = edges[m + 2] - edges[m + 1];
            double norm = 2.0 / (edges[m + 2] - edges[m]);
            for (int k = 0; k < bins; k++)
            {
                double lower = -(edges[m] - fftFreqs[k]) / lowerWidth;
                double upper = (edges[m + 2] - fftFreqs[k]) / upperWidth;
                float w = (float)Math.Max(0.0, Math.Min(lower, upper)); // librosa stores into a float32 array
                weights[m * bins + k] = (float)(w * norm);             // then weights *= enorm (float64 product)
            }
        }
        return weights;
    }

    /// <summary>numpy.linspace(start, stop, count) with the endpoint, evaluated as numpy does.</summary>
    private static double[] Linspace(double start, double stop, int count)
    {
        var values = new double[count];
        if (count == 1)
        {
            values[0] = start;
            return values;
        }
        double step = (stop - start) / (count - 1);
        for (int i = 0; i < count; i++) values[i] = i * step + start;
        values[count - 1] = stop;
        return values;
    }
}
