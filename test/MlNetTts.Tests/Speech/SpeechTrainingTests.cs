using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.MlNet;
using MlNetTts.Tests.Training;
using MlNetTts.Text;
using MlNetTts.Training;
using MlNetTts.WaveGlow;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Speech;

/// <summary>
/// TextToMel and MelToAudio as real estimators: Fit trains a tiny Tacotron 2 / WaveGlow for a few steps on a generated
/// IDataView, reports progress, and the fitted transformer saves with Model.Save and loads in another process (plug-in
/// found through the zip alone) with identical scoring (prenet dropout off; WaveGlow's noise seeded from the zip).
/// </summary>
// Single-threaded so the cross-process comparison does not depend on the parallel split of reductions; the
// former multi-thread NaNs were libtorch's oneDNN conv1d reading freed memory (fixed in Cast.Conv1d).
[TestClass]
public sealed class SpeechTrainingTests() : PinnedTorchThreadsTests(1)
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>The tiny Tacotron 2 of the trainer tests, with the full symbol set (the texts go through the real text encoder).</summary>
    internal static Tacotron2Config TinyTacotron2 => SyntheticSpeech.TinyConfig with { SymbolCount = new Tacotron2Config().SymbolCount };

    public sealed class TextMelRow
    {
        public string Text { get; set; } = "";

        [VectorType]
        public float[] Mel { get; set; } = [];
    }

    /// <summary>Texts from a few words, each symbol held 2 frames lighting its own band of channels (a known diagonal alignment).</summary>
    internal static TextMelRow[] TextMelRows(int count, int seed)
    {
        string[] words = ["cat", "dog", "sun", "hat", "red", "big", "top", "mud"];
        var random = new Random(seed);
        int mels = SyntheticSpeech.MelChannels;
        var rows = new TextMelRow[count];
        for (int i = 0; i < count; i++)
        {
            var text = string.Join(" ", Enumerable.Range(0, random.Next(1, 3)).Select(_ => words[random.Next(words.Length)]));
            var ids = TextEncoder.TextToSequence(text);
            var mel = new float[ids.Length * 2 * mels];
            for (int t = 0; t < ids.Length * 2; t++)
                for (int c = 0; c < mels; c++)
                {
                    double d = Math.Abs(c - ids[t / 2] * 7 % mels);
                    mel[t * mels + c] = (float)(-8 + 6 * Math.Exp(-d * d / 4));
                }
            rows[i] = new TextMelRow { Text = text, Mel = mel };
        }
        return rows;
    }

    private string NewFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "mlnettts-speech-training-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    [TestMethod]
    public void TextToMelFitTrainsAndTheTrainedModelScoresIdenticallyInAnotherProcess()
    {
        var folder = NewFolder();
        try
        {
            var ml = new MLContext(seed: 3);
            var train = ml.Data.LoadFromEnumerable(TextMelRows(8, seed: 1));
            var validation = ml.Data.LoadFromEnumerable(TextMelRows(4, seed: 2));
            var reports = new List<TrainingProgress>();
            var log = new List<string>();
            ml.Log += (_, e) => { if (e.Source == "TextToMel training") lock (log) log.Add(e.Message); };
            var estimator = ml.Transforms.TextToMel(new TextToMelOptions
            {
                Training = new Tacotron2TrainingOptions { Epochs = 2, BatchSize = 4, AnnealSteps = [] },
                Config = TinyTacotron2,
                ValidationData = validation,
                TrainingProgress = new SyncProgress(reports.Add),
                PrenetDropout = false,
                BatchSize = 4,
                MaxDecoderSteps = 24,
                // A model trained 4 steps may stop at decoder step 0 (an empty mel); decode to the cap so there is audio to compare.
                GateThreshold = 0.999999,
            });
            var model = estimator.Fit(train);

            var steps = reports.Where(r => r.Kind == TrainingEventKind.Step).ToList();
            Assert.HasCount(4, steps, "2 epochs of 8 rows in batches of 4");
            // Every step trains: the NaN steps once seen here came from libtorch's conv1d reading freed memory (fixed in Cast.Conv1d).
            Assert.IsTrue(steps.All(s => !s.StepSkipped && double.IsFinite(s.Loss)),
                string.Join(", ", steps.Select(s => $"{s.Loss} {s.StepSkipped} {s.GradientNorm}")));
            var epochs = reports.Where(r => r.Kind == TrainingEventKind.EpochEnd).ToList();
            Assert.HasCount(2, epochs);
            Assert.IsTrue(epochs.All(e => e.ValidationLoss is > 0 && e.AttentionDiagonality is >= 0 and <= 1));
            Assert.IsTrue(log.Any(m => m.Contains("epoch 1 done", StringComparison.Ordinal)), "epoch ends reach the MLContext log: " + string.Join(" | ", log));

            // The trained weights, not a fresh model: the transformer's model differs from the seed's initial weights.
            manual_seed(3);
            using (var initial = new Tacotron2Model(TinyTacotron2))
            using (var scope = NewDisposeScope())
                Assert.IsGreaterThan(0, SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(initial), SyntheticSpeech.Snapshot(model.Model)));

            // Score with the default thread count, as the child process does (the intra-op thread count changes the
            // order of float sums, hence the last bits).
            set_num_threads(DefaultThreads);
            var texts = SpeechFixture.MixedTexts(6);
            var scoring = ml.Data.LoadFromEnumerable(texts);
            var mels = SpeechFixture.ReadVectors(model.Transform(scoring), "Mel");
            Assert.IsTrue(mels.All(m => m.Length > 0 && m.Length % SyntheticSpeech.MelChannels == 0));

            var zip = Path.Combine(folder, "trained.zip");
            ml.Model.Save(model, scoring.Schema, zip);
            var textFile = Path.Combine(folder, "texts.txt");
            File.WriteAllLines(textFile, texts.Select(r => r.Text));
            var output = Path.Combine(folder, "child.bin");
            var (exit, childLog) = ChildProcess.Run(typeof(SpeechChild).GetMethod(nameof(SpeechChild.LoadAndScore))!, TimeSpan.FromMinutes(3), [zip, textFile, output, "Mel"]);
            Assert.AreEqual(0, exit, childLog);
            var other = ReadFloatVectors(output, mels.Count);
            for (int i = 0; i < mels.Count; i++) CollectionAssert.AreEqual(mels[i], other[i], $"other-process mel {i}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TextToMelTrainingRefusesMissingOrMisshapenTargets()
    {
        var ml = new MLContext(seed: 1);
        var options = new TextToMelOptions { Training = new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 2 }, Config = TinyTacotron2 };
        var noMel = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(2));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextToMel(options).Fit(noMel));
        StringAssert.Contains(e.Message, "target mel column 'Mel'");

        var rows = TextMelRows(2, seed: 1);
        rows[1].Mel = rows[1].Mel[..^1];
        var ragged = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TextToMel(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(ragged.Message, "row 1");
    }

    [TestMethod]
    public void CancelledTrainingFitThrowsOperationCanceled()
    {
        var ml = new MLContext(seed: 1);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var estimator = ml.Transforms.TextToMel(new TextToMelOptions
        {
            Training = new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 2 }, Config = TinyTacotron2, TrainingCancellation = cancel.Token,
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => estimator.Fit(ml.Data.LoadFromEnumerable(TextMelRows(4, seed: 1))));
    }

    public sealed class AudioOnlyRow
    {
        [VectorType]
        public float[] Audio { get; set; } = [];
    }

    [TestMethod]
    public void MelToAudioFitTrainsWaveGlowOnAudioAndTheTrainedModelVocodesIdenticallyInAnotherProcess()
    {
        var folder = NewFolder();
        try
        {
            var ml = new MLContext(seed: 5);
            var audio = ml.Data.LoadFromEnumerable(SyntheticAudio.Chirps(4, 3000, seed: 1).Select(a => new AudioOnlyRow { Audio = a }));
            var reports = new List<TrainingProgress>();
            var vocoder = ml.Transforms.MelToAudio(new MelToAudioOptions
            {
                Training = new WaveGlowTrainingOptions { Epochs = 3, BatchSize = 2, SegmentLength = 1024, Mel = SyntheticAudio.TinyMel },
                Config = SyntheticAudio.TinyWaveGlow,
                ValidationData = ml.Data.LoadFromEnumerable(SyntheticAudio.Chirps(2, 3000, seed: 2).Select(a => new AudioOnlyRow { Audio = a })),
                TrainingProgress = new SyncProgress(reports.Add),
                DenoiserStrength = 0,
            }).Fit(audio);

            var steps = reports.Where(r => r.Kind == TrainingEventKind.Step).ToList();
            Assert.HasCount(6, steps, "3 epochs of 4 rows in batches of 2");
            Assert.IsTrue(steps.All(s => double.IsFinite(s.Loss) && !s.StepSkipped && s.ItemsPerSecond > 0));
            Assert.IsTrue(reports.Where(r => r.Kind == TrainingEventKind.EpochEnd).All(r => r.ValidationLoss is double v && double.IsFinite(v)));
            Assert.AreEqual(SyntheticAudio.TinyMel, vocoder.FallbackMelSettings, "the trained model's mel settings are the transformer's");

            // Mels to vocode: the training front end's mels of other chirps, in MelColumn's layout.
            using var front = new MelSpectrogram(SyntheticAudio.TinyMel);
            var melRows = SyntheticAudio.Chirps(3, 1500, seed: 3).Select(a =>
            {
                using var scope = NewDisposeScope();
                var mel = front.Compute(tensor(a).unsqueeze(0))[0];
                VBuffer<float> row = default;
                MelColumn.FromTensor(mel, ref row);
                return new MelToAudioTests.MelRow { Mel = row.DenseValues().ToArray() };
            }).ToArray();
            var mels = ml.Data.LoadFromEnumerable(melRows);
            set_num_threads(DefaultThreads); // score with the child's thread count: it changes the order of float sums, hence the last bits
            var expected = SpeechFixture.ReadVectors(vocoder.Transform(mels), "Audio");
            Assert.IsTrue(expected.All(a => a.Length > 0 && a.All(float.IsFinite)));

            var zip = Path.Combine(folder, "vocoder.zip");
            ml.Model.Save(vocoder, mels.Schema, zip);
            var melFile = Path.Combine(folder, "mels.bin");
            using (var writer = new BinaryWriter(File.Create(melFile)))
                foreach (var r in melRows)
                {
                    writer.Write(r.Mel.Length);
                    foreach (var v in r.Mel) writer.Write(v);
                }
            var output = Path.Combine(folder, "child.bin");
            var (exit, childLog) = ChildProcess.Run(typeof(SpeechTrainingTests).GetMethod(nameof(VocodeInChild))!, TimeSpan.FromMinutes(3), [zip, melFile, output]);
            Assert.AreEqual(0, exit, childLog);
            var other = ReadFloatVectors(output, expected.Count);
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], other[i], $"other-process audio {i}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Child process: Model.Load, vocode the mel rows of a file, write the Audio column. Touches no MlNetTts type before the load.</summary>
    public static int VocodeInChild(string[] args)
    {
        try
        {
            if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "MlNetTts"))
            {
                Console.Error.WriteLine("MlNetTts was loaded before Model.Load");
                return 2;
            }
            var ml = new MLContext(seed: 99); // another seed: the zip's own seed must be used
            var model = ml.Model.Load(args[0], out _);
            var rows = FloatVectorFile.Read(args[1]).Select(values => new MelToAudioTests.MelRow { Mel = values }).ToList();
            var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
            FloatVectorFile.Write(args[2], scored, ["Audio"]);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }

    private static List<float[]> ReadFloatVectors(string path, int count)
    {
        var result = FloatVectorFile.Read(path);
        Assert.HasCount(count, result, "exactly the expected rows");
        return result;
    }
}
