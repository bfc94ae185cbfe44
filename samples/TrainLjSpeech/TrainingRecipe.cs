using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Data;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using MlNetTts.Training;
using MlNetTts.WaveGlow;

namespace MlNetTts.Samples.TrainLjSpeech;

/// <summary>
/// The recipe: ML.NET reads metadata.csv and turns each clip into a waveform and a log-mel (LoadAudio -> ExtractMel,
/// the reference's preprocessing); Core's trainers fit Tacotron 2 and WaveGlow on them (NVIDIA's train.py); the
/// trained models become an ML.NET TextToMel -> MelToAudio chain saved as a model zip that
/// <c>mlContext.Model.Load</c> (or <c>mlnet-tts synthesize --model</c>) scores.
/// </summary>
internal static class TrainingRecipe
{
    /// <summary>One metadata.csv row (LJSpeech: id|raw text|normalized text).</summary>
    private sealed class MetadataRow
    {
        [LoadColumn(0)]
        public string Id { get; set; } = "";

        [LoadColumn(2)]
        public string Text { get; set; } = "";
    }

    private sealed class Clip
    {
        public string Id { get; set; } = "";

        public string Text { get; set; } = "";

        public string AudioPath { get; set; } = "";
    }

    /// <summary>Runs the recipe; returns the saved model zip's path.</summary>
    public static string Run(RecipeOptions options, TextWriter log)
    {
        string metadata = Path.Combine(options.DatasetDirectory, "metadata.csv");
        if (!File.Exists(metadata)) throw new FileNotFoundException($"{options.DatasetDirectory}: not an LJSpeech folder (no metadata.csv).", metadata);
        Directory.CreateDirectory(options.OutputDirectory);
        var ml = new MLContext(seed: 1);

        // 1. Data: metadata rows -> (Text, Audio, Mel) through ML.NET transforms.
        var rows = ml.Data.CreateEnumerable<MetadataRow>(
            ml.Data.LoadFromTextFile<MetadataRow>(metadata, separatorChar: '|', hasHeader: false, allowQuoting: false), reuseRowObject: false)
            .Select(r => new Clip { Id = r.Id, Text = r.Text, AudioPath = Path.Combine(options.DatasetDirectory, "wavs", r.Id + ".wav") })
            .ToList();
        if (rows.Count < 2) throw new InvalidDataException($"{metadata}: needs at least 2 clips (one to train, one to validate); found {rows.Count}.");
        var mel = MelSettings.Default with { MelChannels = options.Tacotron2.MelChannels };
        var features = ml.Transforms.LoadAudio("Audio", nameof(Clip.AudioPath), mel.SampleRate)
            .Append(ml.Transforms.ExtractMel("Mel", "Audio", mel));
        var clips = ml.Data.LoadFromEnumerable(rows);
        var featurized = features.Fit(clips).Transform(clips);

        int validationCount = Math.Clamp((int)Math.Round(rows.Count * options.ValidationShare), 1, rows.Count - 1);
        var trainText = new TextMelDataset(mel.MelChannels);
        var validationText = new TextMelDataset(mel.MelChannels);
        var trainAudio = new AudioDataset();
        var validationAudio = new AudioDataset();
        using (var cursor = featurized.GetRowCursor(featurized.Schema))
        {
            var text = cursor.GetGetter<ReadOnlyMemory<char>>(featurized.Schema[nameof(Clip.Text)]);
            var audio = cursor.GetGetter<VBuffer<float>>(featurized.Schema["Audio"]);
            var melValues = cursor.GetGetter<VBuffer<float>>(featurized.Schema["Mel"]);
            ReadOnlyMemory<char> t = default;
            VBuffer<float> a = default, m = default;
            int index = 0;
            while (cursor.MoveNext())
            {
                text(ref t);
                audio(ref a);
                melValues(ref m);
                bool validation = index++ >= rows.Count - validationCount; // the last clips, as a fixed hold-out
                var ids = TextEncoder.TextToSequence(t.ToString());
                (validation ? validationText : trainText).Add(ids, m.DenseValues().ToArray(), MelLayout.FramesMajor);
                (validation ? validationAudio : trainAudio).Add(a.DenseValues().ToArray());
            }
        }
        log.WriteLine($"data: {trainText.Count} training and {validationText.Count} validation clips, {trainText.TotalFrames + validationText.TotalFrames} mel frames");

        // 2. Tacotron 2 (text -> mel).
        var progress = new LogProgress(log);
        TorchSharp.torch.manual_seed(options.Tacotron2Training.Seed);
        var tacotron2 = new Tacotron2Model(options.Tacotron2);
        using (var trainer = new Tacotron2Trainer(tacotron2, options.Tacotron2Training with { OutputDirectory = Path.Combine(options.OutputDirectory, "tacotron2") }))
        {
            var result = trainer.Fit(trainText, validationText, progress);
            log.WriteLine($"tacotron2: {result.EpochsCompleted} epoch(s), validation loss {result.ValidationLoss:0.0000}, checkpoint {result.LastCheckpoint}");
        }

        // 3. WaveGlow (mel -> audio), or Griffin-Lim.
        WaveGlowModel? waveGlow = null;
        if (options.TrainWaveGlow)
        {
            waveGlow = new WaveGlowModel(options.WaveGlow, weightNorm: true);
            using var trainer = new WaveGlowTrainer(waveGlow, options.WaveGlowTraining with { OutputDirectory = Path.Combine(options.OutputDirectory, "waveglow"), Mel = mel });
            var result = trainer.Fit(trainAudio, validationAudio, progress);
            log.WriteLine($"waveglow: {result.EpochsCompleted} epoch(s), validation loss {result.ValidationLoss:0.0000}, checkpoint {result.LastCheckpoint}");
            waveGlow.RemoveWeightNorm(); // inference form, as NVIDIA's inference.py
        }

        // 4. The trained models as an ML.NET chain, saved for Model.Load.
        tacotron2.eval();
        waveGlow?.eval();
        var input = ml.Data.LoadFromEnumerable(new[] { new Clip { Id = "fit", Text = "Fit needs a row." } });
        var textToMel = ml.Transforms.TextToMel(new TextToMelOptions
        {
            Model = tacotron2, OutputColumnName = "Mel", InputColumnName = nameof(Clip.Text), GateThreshold = options.GateThreshold, MaxDecoderSteps = options.Tacotron2.MaxDecoderSteps,
        });
        var chain = waveGlow is null
            ? textToMel.Append(ml.Transforms.MelToAudioGriffinLim("Audio", "Mel")).Fit(input)
            : textToMel.Append(ml.Transforms.MelToAudio(waveGlow, "Audio", "Mel")).Fit(input);
        string zip = Path.Combine(options.OutputDirectory, "tts.zip");
        ml.Model.Save(chain, input.Schema, zip);
        log.WriteLine($"model: {zip}");
        return zip;
    }

    /// <summary>Training reports as log lines (synchronously, unlike Progress&lt;T&gt;).</summary>
    private sealed class LogProgress(TextWriter log) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Kind == TrainingEventKind.EpochEnd)
                log.WriteLine($"  epoch {value.Epoch + 1}: train loss {value.Loss:0.0000}" + (value.ValidationLoss is { } v ? $", validation loss {v:0.0000}" : ""));
            else if (value.Kind == TrainingEventKind.Step && value.Iteration % 100 == 1)
                log.WriteLine($"  step {value.Iteration}: loss {value.Loss:0.0000}, {value.ItemsPerSecond:0} items/s");
        }
    }
}
