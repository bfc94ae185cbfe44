using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Audio;

/// <summary>Writes a waveform column to WAV files (what <c>mlContext.Data.SaveAudio</c> runs).</summary>
internal static class AudioSaver
{
    public static IReadOnlyList<string> Save(IDataView data, AudioSavingOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        var audio = data.Schema.GetColumnOrNull(options.AudioColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(options), $"Audio column '{options.AudioColumnName}' not found.");
        var names = data.Schema.GetColumnOrNull(options.FileNameColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(options), $"File name column '{options.FileNameColumnName}' not found.");
        if (audio.Type is not VectorDataViewType vector || vector.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(options), $"Column '{audio.Name}' must hold a vector of float (a waveform); it holds {audio.Type}.");
        if (names.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(options), $"File name column '{names.Name}' must hold text; it holds {names.Type}.");
        int rate = options.SampleRate ?? AudioAnnotations.GetSampleRate(audio)
            ?? throw new ArgumentException($"Audio column '{audio.Name}' has no SampleRate annotation; set AudioSavingOptions.SampleRate.", nameof(options));

        Directory.CreateDirectory(options.Directory);
        var written = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var cursor = data.GetRowCursor(new[] { audio, names });
        var getAudio = cursor.GetGetter<VBuffer<float>>(audio);
        var getName = cursor.GetGetter<ReadOnlyMemory<char>>(names);
        VBuffer<float> samples = default;
        ReadOnlyMemory<char> name = default;
        float[] buffer = [];
        while (cursor.MoveNext())
        {
            getName(ref name);
            var fileName = FileNameOf(name.ToString(), cursor.Position, names.Name);
            if (!seen.Add(fileName))
                throw new InvalidDataException($"Row {cursor.Position}: file name '{fileName}' (column '{names.Name}') was already used by an earlier row.");
            getAudio(ref samples);
            if (buffer.Length != samples.Length) buffer = new float[samples.Length];
            samples.CopyTo(buffer);
            var path = Path.Combine(options.Directory, fileName);
            WaveFile.Write(path, buffer, rate, options.Encoding);
            written.Add(path);
        }
        return written;
    }

    private static string FileNameOf(string name, long row, string column)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new InvalidDataException($"Row {row}: column '{column}' gives an empty file name.");
        if (name != Path.GetFileName(name) || name is "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('\\'))
            throw new InvalidDataException($"Row {row}: '{name}' (column '{column}') is not a plain file name (no folders or invalid characters).");
        return name.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) ? name : name + ".wav";
    }
}
