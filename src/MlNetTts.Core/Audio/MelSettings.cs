namespace MlNetTts.Audio;

/// <summary>
/// Parameters of the log-mel front end (NVIDIA's TacotronSTFT arguments). Defaults are the reference
/// training defaults (train.py): 22050 Hz, FFT 1024, hop 256, window 1024, 80 mels, 0-8000 Hz. NVIDIA's
/// published config.json uses <see cref="FMax"/> = 7000: match whatever the model was trained with.
/// </summary>
public sealed record MelSettings
{
    /// <summary>The reference defaults.</summary>
    public static MelSettings Default { get; } = new();

    /// <summary>Sample rate in Hz the front end expects.</summary>
    public int SampleRate { get; init; } = 22050;

    /// <summary>FFT size (frame length) in samples.</summary>
    public int FilterLength { get; init; } = 1024;

    /// <summary>Samples between frames.</summary>
    public int HopLength { get; init; } = 256;

    /// <summary>Hann window length in samples (at most <see cref="FilterLength"/>).</summary>
    public int WinLength { get; init; } = 1024;

    /// <summary>Number of mel channels.</summary>
    public int MelChannels { get; init; } = 80;

    /// <summary>Lowest mel filter edge in Hz.</summary>
    public double FMin { get; init; }

    /// <summary>Highest mel filter edge in Hz.</summary>
    public double FMax { get; init; } = 8000;

    /// <summary>
    /// Largest FFT size accepted: the STFT builds (FilterLength + 2) x FilterLength bases in float64, so the size is
    /// capped before anything is allocated (settings can come from a downloaded model zip). Speech front ends use 512-2048.
    /// </summary>
    public const int MaxFilterLength = 8192;

    /// <summary>Most mel channels accepted (speech models use 80-128).</summary>
    public const int MaxMelChannels = 1024;

    /// <summary>Frequency bins per STFT frame.</summary>
    public int FrequencyBins => FilterLength / 2 + 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent parameter.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string expected)
        {
            if (!ok) throw new ArgumentException($"MelSettings.{name} = {value}: {expected}.", name);
        }
        Require(SampleRate > 0, nameof(SampleRate), SampleRate, "must be positive");
        Require(FilterLength >= 2 && FilterLength % 2 == 0 && FilterLength <= MaxFilterLength, nameof(FilterLength), FilterLength, $"must be even, in [2, {MaxFilterLength}]");
        Require(HopLength > 0, nameof(HopLength), HopLength, "must be positive");
        Require(WinLength > 0 && WinLength <= FilterLength, nameof(WinLength), WinLength, $"must be in [1, FilterLength = {FilterLength}]");
        Require(MelChannels > 0 && MelChannels <= MaxMelChannels, nameof(MelChannels), MelChannels, $"must be in [1, {MaxMelChannels}]");
        Require(FMin >= 0, nameof(FMin), FMin, "must be >= 0");
        Require(FMax > FMin && FMax <= SampleRate / 2.0, nameof(FMax), FMax, $"must be in (FMin = {FMin}, SampleRate / 2 = {SampleRate / 2.0}]");
    }
}
