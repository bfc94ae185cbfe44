using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Data;
using MlNetTts.Text;
using MlNetTts.Training;
using TorchSharp;

namespace MlNetTts.Speech;

/// <summary>What the estimators' training Fit shares: the MLContext's seed, reading an IDataView into a dataset, the cancelled-run exception (the MLContext channels: <see cref="TrainingChannels"/>).</summary>
internal static class SpeechTraining
{
    /// <summary>The MLContext's seed replaces the options' when the MLContext has one (ML.NET's convention: the context seeds every trainer).</summary>
    public static long Seed(IHostEnvironment env, long optionsSeed) =>
        env is IHostEnvironmentInternal { Seed: int seed } ? seed : optionsSeed;

    /// <summary>Text and target mels of every row; texts are encoded as TextToMel encodes them (the reference's english_cleaners).</summary>
    public static TextMelDataset ReadTextMel(IDataView data, string textColumn, string melColumn, int melChannels, string what, PronunciationDictionary? pronunciations = null)
    {
        var text = TextColumnOf(data, textColumn, what);
        var mel = MelColumnOf(data, melColumn, what);
        if (AudioAnnotations.GetMelSettings(mel) is { } settings && settings.MelChannels != melChannels)
            throw new ArgumentException($"TextToMel training: column '{melColumn}' of the {what} holds {settings.MelChannels}-channel mels; the model makes {melChannels}.", what);
        var dataset = new TextMelDataset(melChannels);
        using var cursor = data.GetRowCursor(new[] { text, mel });
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        var getMel = cursor.GetGetter<VBuffer<float>>(mel);
        ReadOnlyMemory<char> textValue = default;
        VBuffer<float> melValue = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            getText(ref textValue);
            getMel(ref melValue);
            var ids = Encode(textValue, row, what, pronunciations);
            if (melValue.Length == 0 || melValue.Length % melChannels != 0)
                throw new ArgumentException($"TextToMel training: row {row} of the {what} has a mel of {melValue.Length} values in '{melColumn}', expected a positive multiple of {melChannels} channels.", what);
            var values = melValue.IsDense ? melValue.GetValues() : melValue.DenseValues().ToArray();
            dataset.Add(ids, values, MelLayout.FramesMajor);
            row++;
        }
        return dataset;
    }

    /// <summary>
    /// Text and the mels of every row's waveform, extracted once with <paramref name="settings"/> exactly as ExtractMel
    /// does and kept in float16: the waveform of one row at a time is all the audio ever held.
    /// </summary>
    public static TextMelDataset ReadTextAudio(IDataView data, string textColumn, string audioColumn, MelSettings settings, string what, PronunciationDictionary? pronunciations = null)
    {
        var text = TextColumnOf(data, textColumn, what);
        var audio = AudioColumnOf(data, audioColumn, settings.SampleRate, "TextToMel", what);
        var dataset = new TextMelDataset(settings.MelChannels);
        using var front = new MelSpectrogram(settings);
        using var cursor = data.GetRowCursor(new[] { text, audio });
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        var getAudio = cursor.GetGetter<VBuffer<float>>(audio);
        ReadOnlyMemory<char> textValue = default;
        VBuffer<float> audioValue = default;
        float[] samples = [];
        long row = 0;
        while (cursor.MoveNext())
        {
            getText(ref textValue);
            getAudio(ref audioValue);
            var ids = Encode(textValue, row, what, pronunciations);
            int length = audioValue.Length;
            if (length <= settings.FilterLength / 2)
                throw new ArgumentException($"TextToMel training: row {row} of the {what} has {length} samples in '{audioColumn}', too short for the STFT (more than {settings.FilterLength / 2} needed).", what);
            if (samples.Length != length) samples = new float[length];
            audioValue.CopyTo(samples);
            using var scope = torch.NewDisposeScope();
            dataset.Add(ids, front.Compute(torch.tensor(samples, new long[] { 1, length }))[0]);
            row++;
        }
        return dataset;
    }

    /// <summary>The waveforms of every row (16-bit PCM in memory), checking the column's sample rate.</summary>
    public static AudioDataset ReadAudio(IDataView data, string audioColumn, int sampleRate, string what)
    {
        var audio = AudioColumnOf(data, audioColumn, sampleRate, "MelToAudio", what);
        var dataset = new AudioDataset();
        using var cursor = data.GetRowCursor(new[] { audio });
        var get = cursor.GetGetter<VBuffer<float>>(audio);
        VBuffer<float> value = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            get(ref value);
            if (value.Length == 0) throw new ArgumentException($"MelToAudio training: row {row} of the {what} has no audio samples.", what);
            dataset.Add(value.IsDense ? value.GetValues() : value.DenseValues().ToArray());
            row++;
        }
        return dataset;
    }

    /// <summary>A cancelled run gives no transformer: ML.NET's way is an OperationCanceledException.</summary>
    public static void ThrowIfCancelled(TrainingResult result, string what)
    {
        if (result.Cancelled)
            throw new OperationCanceledException($"{what} training was cancelled after {result.Iterations} steps" +
                (result.LastCheckpoint is null ? "." : $"; resume from {result.LastCheckpoint}."));
    }

    private static DataViewSchema.Column TextColumnOf(IDataView data, string name, string what)
    {
        var text = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(what, $"TextToMel training: the {what} has no text column '{name}'.");
        if (text.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(what, $"TextToMel training: column '{name}' of the {what} must hold text; it holds {text.Type}.");
        return text;
    }

    private static int[] Encode(ReadOnlyMemory<char> text, long row, string what, PronunciationDictionary? pronunciations)
    {
        var ids = TextEncoder.TextToSequence(text.ToString(), pronunciations);
        if (ids.Length == 0)
            throw new ArgumentException($"TextToMel training: row {row} of the {what} has no speakable text ('{text}').", what);
        return ids;
    }

    private static DataViewSchema.Column AudioColumnOf(IDataView data, string name, int sampleRate, string estimator, string what)
    {
        var audio = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(what, $"{estimator} training: the {what} has no audio column '{name}'.");
        if (audio.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(what, $"{estimator} training: column '{name}' of the {what} must hold a float vector (a waveform, as LoadAudio writes it); it holds {audio.Type}.");
        if (AudioAnnotations.GetSampleRate(audio) is int rate && rate != sampleRate)
            throw new ArgumentException($"{estimator} training: column '{name}' of the {what} is at {rate} Hz; the training mel settings are at {sampleRate} Hz.", what);
        return audio;
    }

    private static DataViewSchema.Column MelColumnOf(IDataView data, string name, string what)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(what, $"TextToMel training: the {what} has no target mel column '{name}' (set TextToMelOptions.TargetMelColumnName; ExtractMel makes one from audio).");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(what, $"TextToMel training: column '{name}' of the {what} must hold a float vector (a mel in MelColumn's layout); it holds {column.Type}.");
        return column;
    }
}
