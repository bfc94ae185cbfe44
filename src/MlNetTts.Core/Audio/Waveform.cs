namespace MlNetTts.Audio;

/// <summary>A mono signal: samples in [-1, 1] (nominally) at <see cref="SampleRate"/> Hz.</summary>
/// <param name="Samples">The samples.</param>
/// <param name="SampleRate">Samples per second.</param>
public sealed record Waveform(float[] Samples, int SampleRate)
{
    /// <summary>Length in seconds.</summary>
    public double Seconds => SampleRate > 0 ? (double)Samples.Length / SampleRate : 0;
}
