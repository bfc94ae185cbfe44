namespace MlNetTts.Audio;

/// <summary>Options of <c>mlContext.Data.SaveAudio</c>.</summary>
public sealed class AudioSavingOptions
{
    /// <summary>Folder the files are written to (created if missing).</summary>
    public string Directory { get; set; } = ".";

    /// <summary>Waveform column (vector of float in [-1, 1]).</summary>
    public string AudioColumnName { get; set; } = AudioLoadingOptions.DefaultOutputColumnName;

    /// <summary>Text column giving each file's name; ".wav" is appended unless present. Names must be plain file names.</summary>
    public string FileNameColumnName { get; set; } = "Id";

    /// <summary>Sample rate written in the headers; null: the audio column's SampleRate annotation (an error if it has none).</summary>
    public int? SampleRate { get; set; }

    /// <summary>Sample encoding; 16-bit PCM by default.</summary>
    public WaveEncoding Encoding { get; set; } = WaveEncoding.Pcm16;
}
