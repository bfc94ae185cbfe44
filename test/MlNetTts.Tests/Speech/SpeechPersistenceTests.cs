using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetTts.Speech;
using MlNetTts.Tests.MlNet;

namespace MlNetTts.Tests.Speech;

/// <summary>
/// The acceptance chain: TextToMel (fixture Tacotron 2) -> MelToAudio, scored in batches of 8, equal to row-by-row
/// scoring; saved with Model.Save, loaded in this process and in a new one, identical outputs. The fixture WaveGlow
/// has fewer mel channels than the fixture Tacotron 2 (see the manifest), so the chain vocodes with Griffin-Lim and
/// WaveGlow's save/load is proven on its own.
/// </summary>
[TestClass]
public sealed class SpeechPersistenceTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly string[] Columns = ["Mel", "Audio"];

    private static List<float[]> Read(IDataView scored, IEnumerable<string> columns) =>
        columns.SelectMany(c => SpeechFixture.ReadVectors(scored, c)).ToList();

    [TestMethod]
    public void ComponentCatalogKnowsTheSpeechLoaders()
    {
        IHostEnvironment env = new MLContext(seed: 1);
        env.ComponentCatalog.RegisterAssembly(typeof(TextToMelTransformer).Assembly);
        foreach (var (signature, type) in new[]
                 {
                     (TextToMelTransformer.LoaderSignature, typeof(TextToMelTransformer)),
                     (MelToAudioTransformer.LoaderSignature, typeof(MelToAudioTransformer)),
                 })
        {
            var info = env.ComponentCatalog.GetLoadableClassInfo<SignatureLoadModel>(signature);
            Assert.IsNotNull(info, $"ML.NET's catalog does not know '{signature}'");
            Assert.AreEqual(type, info.Type);
        }
    }

    [TestMethod]
    public void ChainScoresInBatchesAsRowByRowAndSavesAndLoadsInAnotherProcessWithIdenticalAudio()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnettts-speech-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var ml = new MLContext(seed: 1);
            var rows = SpeechFixture.MixedTexts(20);
            var data = ml.Data.LoadFromEnumerable(rows);
            var pipeline = ml.Transforms.TextToMel(new TextToMelOptions { CheckpointPath = SpeechFixture.Tacotron2Checkpoint, BatchSize = 8, PrenetDropout = false })
                .Append(ml.Transforms.MelToAudioGriffinLim(iterations: 8));
            var model = pipeline.Fit(data);
            var mels = SpeechFixture.ReadVectors(model.Transform(data), "Mel");
            var audio = SpeechFixture.ReadVectors(model.Transform(data), "Audio");

            // Row by row (PredictionEngine: batch of one) gives the same mel and audio.
            var engine = ml.Model.CreatePredictionEngine<TextRow, AudioPrediction>(model);
            for (int i = 0; i < rows.Length; i++)
            {
                var single = engine.Predict(rows[i]);
                Assert.IsLessThanOrEqualTo(1e-4, SpeechFixture.MaxAbsDifference(mels[i], single.Mel, $"row {i} mel"));
                Assert.IsLessThanOrEqualTo(1e-3, SpeechFixture.MaxAbsDifference(audio[i], single.Audio, $"row {i} audio"));
            }

            var zip = Path.Combine(folder, "speech.zip");
            ml.Model.Save(model, data.Schema, zip);
            var loaded = new MLContext(seed: 5).Model.Load(zip, out _);
            var reloaded = Read(loaded.Transform(data), Columns);
            var expected = mels.Concat(audio).ToList();
            Assert.HasCount(expected.Count, reloaded);
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], reloaded[i], $"in-process value {i}");

            var texts = Path.Combine(folder, "texts.txt");
            File.WriteAllLines(texts, rows.Select(r => r.Text));
            var output = Path.Combine(folder, "child.bin");
            var (exit, log) = ChildProcess.Run(typeof(SpeechChild).GetMethod(nameof(SpeechChild.LoadAndScore))!, TimeSpan.FromMinutes(3),
                [zip, texts, output, .. Columns]);
            Assert.AreEqual(0, exit, log);
            using var reader = new BinaryReader(File.OpenRead(output));
            for (int i = 0; i < expected.Count; i++)
            {
                var values = new float[reader.ReadInt32()];
                for (int j = 0; j < values.Length; j++) values[j] = reader.ReadSingle();
                CollectionAssert.AreEqual(expected[i], values, $"other-process value {i}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public sealed class AudioPrediction
    {
        public float[] Mel { get; set; } = [];

        public float[] Audio { get; set; } = [];
    }

    [TestMethod]
    public void WaveGlowAndDropoutSettingsSurviveSaveAndLoad()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnettts-speech-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var ml = new MLContext(seed: 4);
            int channels = SpeechFixture.WaveGlowMelChannels;
            var mels = ml.Data.LoadFromEnumerable(new[] { new MelToAudioTests.MelRow { Mel = Enumerable.Range(0, 6 * channels).Select(i => (float)Math.Cos(i)).ToArray() } });
            var vocoder = ml.Transforms.MelToAudio(new MelToAudioOptions
            {
                CheckpointPath = SpeechFixture.WaveGlowCheckpoint, MelSettings = MlNetTts.Audio.MelSettings.Default with { MelChannels = channels },
            }).Fit(mels);
            var texts = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(5));
            var speaker = ml.Transforms.TextToMel(new TextToMelOptions { CheckpointPath = SpeechFixture.Tacotron2Checkpoint, BatchSize = 2 }).Fit(texts); // dropout on, seed 4

            foreach (var (name, transformer, data, column) in new (string, ITransformer, IDataView, string)[]
                     { ("waveglow", vocoder, mels, "Audio"), ("tacotron", speaker, texts, "Mel") })
            {
                var before = SpeechFixture.ReadVectors(transformer.Transform(data), column);
                var zip = Path.Combine(folder, name + ".zip");
                ml.Model.Save(transformer, data.Schema, zip);
                var after = SpeechFixture.ReadVectors(new MLContext(seed: 77).Model.Load(zip, out _).Transform(data), column);
                Assert.HasCount(before.Count, after);
                for (int i = 0; i < before.Count; i++) CollectionAssert.AreEqual(before[i], after[i], $"{name} row {i}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
