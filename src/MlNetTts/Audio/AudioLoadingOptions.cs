namespace MlNetTts.Audio;

/// <summary>Options of <see cref="AudioLoadingEstimator"/> (<c>mlContext.Transforms.LoadAudio</c>).</summary>
public sealed class AudioLoadingOptions
{
    /// <summary>Default name of the waveform column.</summary>
    public const string DefaultOutputColumnName = "Audio";

    /// <summary>Default name of the path column.</summary>
    public const string DefaultInputColumnName = "AudioPath";

    /// <summary>Name of the waveform column to add (variable-length vector of float).</summary>
    public string OutputColumnName { get; set; } = DefaultOutputColumnName;

    /// <summary>Name of the text column holding WAV file paths.</summary>
    public string InputColumnName { get; set; } = DefaultInputColumnName;

    /// <summary>Rate every file is resampled to (Hz); it travels with the column as the SampleRate annotation.</summary>
    public int SampleRate { get; set; } = WaveFile.DefaultSampleRate;

    /// <summary>Folder that relative paths are resolved against; null: the current directory at read time.</summary>
    public string? AudioFolder { get; set; }
}
