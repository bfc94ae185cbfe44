using NAudio.Dsp;

namespace MlNetTts.Audio;

/// <summary>
/// Band-limited sample-rate conversion of a whole mono signal with NAudio's managed port of Cockos WDL's
/// resampler in its windowed-sinc mode (not the linear + IIR mode that NAudio's WdlResamplingSampleProvider
/// selects). Downsampling low-passes at 0.97 of the new Nyquist frequency; the filter's delay is compensated,
/// so output sample i lies at input time i * from / to.
/// </summary>
public static class Resampler
{
    /// <summary>Sinc filter taps (WDL's default); 64 keeps the pass band flat to well under 0.1 dB.</summary>
    public const int SincTaps = 64;
    private const int SincOversampling = 32;
    private const int Chunk = 8192;

    /// <summary>Number of output samples for <paramref name="inputLength"/> input samples: ceil(n * to / from).</summary>
    public static long OutputLength(long inputLength, int fromRate, int toRate) =>
        (long)Math.Ceiling(inputLength * (double)toRate / fromRate - 1e-9);

    /// <summary>Resamples <paramref name="samples"/> from <paramref name="fromRate"/> Hz to <paramref name="toRate"/> Hz.</summary>
    public static float[] Resample(ReadOnlySpan<float> samples, int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(toRate, 1);
        if (fromRate == toRate) return samples.ToArray();

        long wanted = OutputLength(samples.Length, fromRate, toRate);
        var output = new float[wanted];
        var resampler = new WdlResampler();
        resampler.SetMode(true, 0, true, SincTaps, SincOversampling);
        resampler.SetFeedMode(true); // input-driven: we hand over what we have
        resampler.SetRates(fromRate, toRate);

        // Feed the signal, then zeros for the filter's look-ahead, until every output sample is out.
        var outBuffer = new float[(int)Math.Ceiling(Chunk * (double)toRate / fromRate) + SincTaps * 4];
        long written = 0, fed = 0, tail = SincTaps * 2L + (long)Math.Ceiling((double)fromRate / toRate) * 4;
        while (written < wanted)
        {
            long remaining = samples.Length + tail - fed;
            if (remaining <= 0) break;
            int ask = (int)Math.Min(Chunk, remaining);
            int accepted = resampler.ResamplePrepare(ask, 1, out Span<float> inBuffer);
            for (int i = 0; i < accepted; i++)
            {
                long at = fed + i;
                inBuffer[i] = at < samples.Length ? samples[(int)at] : 0f;
            }
            fed += accepted;
            int produced = resampler.ResampleOut(outBuffer, accepted, outBuffer.Length, 1);
            int keep = (int)Math.Min(produced, wanted - written);
            outBuffer.AsSpan(0, keep).CopyTo(output.AsSpan((int)written));
            written += keep;
        }
        return output; // any sample not produced stays 0 (only possible for inputs shorter than the filter)
    }
}
