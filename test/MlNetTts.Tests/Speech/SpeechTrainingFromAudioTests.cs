using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.Tests.Training;
using MlNetTts.Training;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Speech;

/// <summary>
/// TextToMel training from a text column and an AUDIO column: the mels are extracted once, as ExtractMel extracts them,
/// so training on the audio is training on ExtractMel's column of the same audio.
/// </summary>
// Single-threaded: the two runs compared must give bit-identical losses.
[TestClass]
public sealed class SpeechTrainingFromAudioTests() : PinnedTorchThreadsTests(1)
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>The tiny Tacotron 2's channel count over the tiny WaveGlow tests' 16 kHz front end.</summary>
    private static readonly MelSettings Mel = SyntheticAudio.TinyMel with { MelChannels = SyntheticSpeech.MelChannels };

    public sealed class TextAudioRow
    {
        public string Text { get; set; } = "";

        [VectorType]
        public float[] Audio { get; set; } = [];
    }

    private static TextAudioRow[] Rows(int count, int seed)
    {
        string[] texts = ["cat dog", "sun hat", "red top", "big mud", "a cat", "the dog"];
        var random = new Random(seed);
        return SyntheticAudio.Chirps(count, 1600, seed).Select((audio, i) => new TextAudioRow
        {
            Text = texts[random.Next(texts.Length)],
            Audio = audio[..(800 + random.Next(800))],
        }).ToArray();
    }

    /// <summary>Step losses of a 1-epoch Fit of <paramref name="options"/> on <paramref name="data"/>.</summary>
    private static List<double> StepLosses(MLContext ml, IDataView data, TextToMelOptions options)
    {
        var losses = new List<double>();
        options.Training = new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 2, AnnealSteps = [] };
        options.Config = SpeechTrainingTests.TinyTacotron2;
        options.TrainingProgress = new SyncProgress(p => { if (p.Kind == TrainingEventKind.Step) losses.Add(p.Loss); });
        var model = ml.Transforms.TextToMel(options).Fit(data);
        Assert.AreEqual(Mel, model.MelSettings, "the mels' settings become the transformer's");
        model.Model.Dispose();
        return losses;
    }

    [TestMethod]
    public void FittingFromAnAudioColumnTrainsAsFittingFromItsExtractedMelColumn()
    {
        var rows = Rows(4, seed: 1);

        var fromMel = new MLContext(seed: 7);
        var extracted = fromMel.Transforms.ExtractMel("Mel", "Audio", Mel).Fit(fromMel.Data.LoadFromEnumerable(rows));
        var melData = extracted.Transform(fromMel.Data.LoadFromEnumerable(rows));
        var viaMel = StepLosses(fromMel, melData, new TextToMelOptions { TargetMelColumnName = "Mel" });

        var fromAudio = new MLContext(seed: 7);
        var viaAudio = StepLosses(fromAudio, fromAudio.Data.LoadFromEnumerable(rows), new TextToMelOptions { TrainingAudioColumnName = "Audio", MelSettings = Mel });

        TestContext.WriteLine($"step losses via ExtractMel {string.Join(", ", viaMel)}; via audio {string.Join(", ", viaAudio)}");
        Assert.HasCount(2, viaAudio);
        Assert.IsTrue(viaAudio.All(double.IsFinite));
        Assert.AreEqual(viaMel[0], viaAudio[0], "first step: the same mels, the same weights, the same loss");
        CollectionAssert.AreEqual(viaMel, viaAudio, "and every step after it");
    }

    [TestMethod]
    public void FittingFromAnAudioColumnRefusesMissingShortOrMismatchedAudio()
    {
        var ml = new MLContext(seed: 1);
        TextToMelOptions Options(string column = "Audio", MelSettings? mel = null) => new()
        {
            Training = new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 2 }, Config = SpeechTrainingTests.TinyTacotron2,
            TrainingAudioColumnName = column, MelSettings = mel ?? Mel,
        };
        var rows = Rows(2, seed: 2);
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextToMel(Options("Waveform")).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(missing.Message, "no audio column 'Waveform'");

        var channels = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TextToMel(Options(mel: Mel with { MelChannels = 80 })).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(channels.Message, "80-channel");

        rows[1].Audio = rows[1].Audio[..(Mel.FilterLength / 2)];
        var tooShort = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TextToMel(Options()).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(tooShort.Message, "row 1");
    }

    [TestMethod]
    public void TrainingDataReadFromAnIDataViewIsHeldAsFloat16MelsAndPcm16Audio()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(3, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);

        var fromAudio = SpeechTraining.ReadTextAudio(data, "Text", "Audio", Mel, "training data");
        Assert.AreEqual(MlNetTts.Data.MelStorage.Float16, fromAudio.Storage);
        Assert.AreEqual(fromAudio.TotalFrames * Mel.MelChannels * 2, fromAudio.MelBytes, "2 bytes a mel value");

        var melData = ml.Transforms.ExtractMel("Mel", "Audio", Mel).Fit(data).Transform(data);
        var fromMel = SpeechTraining.ReadTextMel(melData, "Text", "Mel", Mel.MelChannels, "training data");
        Assert.AreEqual(MlNetTts.Data.MelStorage.Float16, fromMel.Storage);
        Assert.AreEqual(fromAudio.TotalFrames, fromMel.TotalFrames);

        var audio = SpeechTraining.ReadAudio(data, "Audio", Mel.SampleRate, "training data");
        Assert.IsTrue(audio.Pcm16, "waveforms as 16-bit PCM");
        Assert.AreEqual(rows.Sum(r => (long)r.Audio.Length), audio.TotalSamples);
    }
}
