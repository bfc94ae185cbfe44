using Microsoft.ML;
using MlNetTts.Audio;

namespace MlNetTts;

/// <summary>
/// MlNetTts's audio transforms on <c>mlContext.Transforms</c> and audio output on <c>mlContext.Data</c>, each with a
/// flat overload (default column names: AudioPath -> Audio -> Mel) and an options overload, as ML.NET's own catalogs.
/// </summary>
public static class AudioCatalog
{
    /// <summary>Reads the WAV files named by <paramref name="inputColumnName"/> into mono waveforms at <paramref name="sampleRate"/> Hz.</summary>
    public static AudioLoadingEstimator LoadAudio(this TransformsCatalog catalog,
        string outputColumnName = AudioLoadingOptions.DefaultOutputColumnName,
        string inputColumnName = AudioLoadingOptions.DefaultInputColumnName,
        int sampleRate = WaveFile.DefaultSampleRate)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new AudioLoadingEstimator(new AudioLoadingOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, SampleRate = sampleRate });
    }

    /// <summary>Reads WAV files into waveforms, with every option.</summary>
    public static AudioLoadingEstimator LoadAudio(this TransformsCatalog catalog, AudioLoadingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new AudioLoadingEstimator(options);
    }

    /// <summary>MelExtractor: waveform column -> log-mel column (layout: <see cref="MelColumn"/>), with the reference settings unless given.</summary>
    public static MelExtractingEstimator ExtractMel(this TransformsCatalog catalog,
        string outputColumnName = MelExtractingOptions.DefaultOutputColumnName,
        string inputColumnName = MelExtractingOptions.DefaultInputColumnName,
        MelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MelExtractingEstimator(new MelExtractingOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Settings = settings ?? MelSettings.Default });
    }

    /// <summary>MelExtractor with every option.</summary>
    public static MelExtractingEstimator ExtractMel(this TransformsCatalog catalog, MelExtractingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MelExtractingEstimator(options);
    }

    /// <summary>
    /// Writes each row's waveform to <paramref name="directory"/>/&lt;file name column&gt;.wav (16-bit PCM, atomically)
    /// and returns the paths written, in row order.
    /// </summary>
    public static IReadOnlyList<string> SaveAudio(this DataOperationsCatalog catalog, IDataView data, string directory,
        string audioColumnName = AudioLoadingOptions.DefaultOutputColumnName, string fileNameColumnName = "Id")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return AudioSaver.Save(data, new AudioSavingOptions { Directory = directory, AudioColumnName = audioColumnName, FileNameColumnName = fileNameColumnName });
    }

    /// <summary>Writes a waveform column to WAV files, with every option.</summary>
    public static IReadOnlyList<string> SaveAudio(this DataOperationsCatalog catalog, IDataView data, AudioSavingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return AudioSaver.Save(data, options);
    }
}
