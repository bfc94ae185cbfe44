namespace MlNetTts.Data;

/// <summary>
/// WaveGlow training items: one mono waveform (samples in [-1, 1] at the model's sample rate) per utterance,
/// kept as 16-bit PCM (exact for 16-bit sources such as LJSpeech; half the memory of float32) or float32.
/// Segments are drawn from it by <see cref="AudioSegmentSampler"/>.
/// </summary>
public sealed class AudioDataset
{
    private readonly List<short[]> _pcm = new();
    private readonly List<float[]> _float = new();

    /// <summary>An empty dataset; <paramref name="pcm16"/> stores samples as 16-bit integers (x 32768, rounded, clamped).</summary>
    public AudioDataset(bool pcm16 = true)
    {
        Pcm16 = pcm16;
    }

    /// <summary>Whether samples are kept as 16-bit PCM.</summary>
    public bool Pcm16 { get; }

    /// <summary>Number of items.</summary>
    public int Count => Pcm16 ? _pcm.Count : _float.Count;

    /// <summary>Sum of samples over all items.</summary>
    public long TotalSamples { get; private set; }

    /// <summary>Appends a waveform (at least one sample, every sample finite and within [-1, 1]).</summary>
    /// <returns>The new item's index.</returns>
    public int Add(ReadOnlySpan<float> samples)
    {
        if (samples.IsEmpty) throw new ArgumentException($"Item {Count}: the audio has no samples.", nameof(samples));
        foreach (float s in samples)
            if (!(s >= -1f && s <= 1f))
                throw new ArgumentException($"Item {Count}: sample {s} is outside [-1, 1] (scale integer PCM by its full-scale value first).", nameof(samples));
        if (Pcm16)
        {
            var stored = new short[samples.Length];
            for (int i = 0; i < samples.Length; i++) stored[i] = (short)Math.Clamp(MathF.Round(samples[i] * 32768f), short.MinValue, short.MaxValue);
            _pcm.Add(stored);
        }
        else
        {
            _float.Add(samples.ToArray());
        }
        TotalSamples += samples.Length;
        return Count - 1;
    }

    /// <summary>Samples of item <paramref name="index"/>.</summary>
    public int Length(int index) => Pcm16 ? _pcm[index].Length : _float[index].Length;

    /// <summary>Copies <paramref name="destination"/>.Length samples of item <paramref name="index"/> from <paramref name="start"/> as floats in [-1, 1].</summary>
    internal void CopySamples(int index, int start, Span<float> destination)
    {
        if (Pcm16)
        {
            var source = _pcm[index].AsSpan(start, destination.Length);
            for (int i = 0; i < source.Length; i++) destination[i] = source[i] / 32768f;
        }
        else
        {
            _float[index].AsSpan(start, destination.Length).CopyTo(destination);
        }
    }
}
