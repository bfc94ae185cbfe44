namespace MlNetTts.Audio;

/// <summary>Options of <see cref="MelExtractingEstimator"/> (<c>mlContext.Transforms.ExtractMel</c>).</summary>
public sealed class MelExtractingOptions
{
    /// <summary>Default name of the mel column.</summary>
    public const string DefaultOutputColumnName = "Mel";

    /// <summary>Default name of the waveform column.</summary>
    public const string DefaultInputColumnName = "Audio";

    /// <summary>Name of the mel column to add (layout: <see cref="MelColumn"/>).</summary>
    public string OutputColumnName { get; set; } = DefaultOutputColumnName;

    /// <summary>Name of the waveform column (samples in [-1, 1]).</summary>
    public string InputColumnName { get; set; } = DefaultInputColumnName;

    /// <summary>STFT and mel parameters; the default is the reference's (22050 Hz, 1024/256/1024, 80 mels, 0-8000 Hz).</summary>
    public MelSettings Settings { get; set; } = MelSettings.Default;
}
