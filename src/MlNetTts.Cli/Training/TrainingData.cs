using MlNetTts.Audio;
using MlNetTts.Cli.Dataset;
using MlNetTts.Data;
using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Training;

/// <summary>
/// Training sets from a dataset listing as <c>prepare</c> reads it (LJSpeech folder, metadata.csv or a 'path|text'
/// file list): Tacotron 2 gets (symbols, log-mel) pairs, the mel read from <c>prepare --mel-cache</c>'s safetensors
/// when a cache folder is given and holds the clip, else computed from the WAV; WaveGlow gets the waveforms.
/// </summary>
internal static class TrainingData
{
    /// <summary>The listing's entries; fails naming the listing when it has problems or no clips.</summary>
    public static IReadOnlyList<DatasetEntry> Entries(string listing, string? audioRoot)
    {
        var read = DatasetListing.Read(listing, audioRoot);
        if (read.Problems.Count > 0)
            throw new InvalidDataException($"{listing}: {read.Problems.Count} problem(s) in the listing, first: {read.Problems[0]}; run 'mlnet-tts prepare {listing}'.");
        if (read.Entries.Count == 0) throw new InvalidDataException($"{listing}: no clips listed.");
        return read.Entries;
    }

    /// <summary>Text/mel pairs for Tacotron 2; with <paramref name="pronunciations"/>, the texts' known words as ARPAbet.</summary>
    public static TextMelDataset TextMel(IReadOnlyList<DatasetEntry> entries, MelSettings settings, string? melCache, Action? advance,
        PronunciationDictionary? pronunciations = null)
    {
        var dataset = new TextMelDataset(settings.MelChannels);
        using var mel = new MelSpectrogram(settings);
        foreach (var entry in entries)
        {
            var ids = TextEncoder.TextToSequence(entry.Text, pronunciations);
            if (ids.Length == 0) throw new InvalidDataException($"{entry.AudioPath}: nothing speakable is left of its text \"{entry.Text}\".");
            using var scope = NewDisposeScope();
            string? cached = melCache is null ? null : MelCache.PathOf(melCache, entry.Id);
            if (cached is not null && File.Exists(cached))
            {
                var tensors = Checkpoints.SafeTensorsFile.ReadAll(cached);
                var values = tensors[MelCache.TensorName].to(ScalarType.Float32);
                if (values.dim() == 3) values = values.squeeze(0);
                try
                {
                    dataset.Add(ids, values);
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException($"{cached}: {e.Message} (was the cache made with other mel settings? --n-mel-channels of prepare must match the model)", e);
                }
            }
            else
            {
                var audio = WaveFile.Read(entry.AudioPath, settings.SampleRate);
                var computed = mel.Compute(tensor(audio.Samples).unsqueeze(0)).squeeze(0);
                dataset.Add(ids, computed);
            }
            advance?.Invoke();
        }
        return dataset;
    }

    /// <summary>Waveforms for WaveGlow, resampled to <paramref name="sampleRate"/>.</summary>
    public static AudioDataset Audio(IReadOnlyList<DatasetEntry> entries, int sampleRate, Action? advance)
    {
        var dataset = new AudioDataset();
        foreach (var entry in entries)
        {
            dataset.Add(WaveFile.Read(entry.AudioPath, sampleRate).Samples);
            advance?.Invoke();
        }
        return dataset;
    }
}
