using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;

namespace MlNetTts.Tests.MlNet;

/// <summary>
/// A chain of MlNetTts transforms saves with mlContext.Model.Save and loads with mlContext.Model.Load — in this
/// process and in a new one that makes no other call — giving identical outputs.
/// </summary>
[TestClass]
public sealed class ModelPersistenceTests
{
    private static readonly string[] Columns = ["Audio", "Mel"];

    private static (ITransformer Model, IDataView Data) FitChain(MLContext ml, string wav, MelSettings? settings = null)
    {
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = wav, Id = "a" } });
        var pipeline = ml.Transforms.LoadAudio("Audio", "AudioPath", sampleRate: 16000)
            .Append(ml.Transforms.ExtractMel("Mel", "Audio", settings ?? new MelSettings { SampleRate = 16000, FMax = 7000 }));
        return (pipeline.Fit(data), data);
    }

    private static List<float[]> ReadColumns(IDataView scored, IEnumerable<string> names)
    {
        var result = new List<float[]>();
        foreach (var name in names)
        {
            var column = scored.Schema[name];
            using var cursor = scored.GetRowCursor(new[] { column });
            var get = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
            {
                get(ref value);
                result.Add(value.DenseValues().ToArray());
            }
        }
        return result;
    }

    [TestMethod]
    public void ComponentCatalogKnowsOurLoaders()
    {
        var ml = new MLContext(seed: 1);
        IHostEnvironment env = ml;
        env.ComponentCatalog.RegisterAssembly(typeof(MelExtractingTransformer).Assembly);
        foreach (var (signature, type) in new[]
                 {
                     (AudioLoadingTransformer.LoaderSignature, typeof(AudioLoadingTransformer)),
                     (MelExtractingTransformer.LoaderSignature, typeof(MelExtractingTransformer)),
                 })
        {
            var info = env.ComponentCatalog.GetLoadableClassInfo<SignatureLoadModel>(signature);
            Assert.IsNotNull(info, $"ML.NET's catalog does not know '{signature}': IgnoresAccessChecksTo may no longer be honoured, and Model.Load would fail");
            Assert.AreEqual(type, info.Type);
        }
    }

    [TestMethod]
    public void ChainSavesAndLoadsInProcessWithIdenticalOutputs()
    {
        using var audio = new TestAudio();
        var wav = audio.Write("in.wav", 22050, 0.6);
        var ml = new MLContext(seed: 1);
        var (model, data) = FitChain(ml, wav);
        var expected = ReadColumns(model.Transform(data), Columns);

        var zip = Path.Combine(audio.Folder, "model.zip");
        ml.Model.Save(model, data.Schema, zip);
        var loaded = new MLContext(seed: 2).Model.Load(zip, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("AudioPath"));
        var actual = ReadColumns(loaded.Transform(data), Columns);
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"column {i}");

        var mel = loaded.Transform(data).Schema["Mel"];
        Assert.AreEqual(new MelSettings { SampleRate = 16000, FMax = 7000 }, AudioAnnotations.GetMelSettings(mel));
    }

    [TestMethod]
    public void ChainLoadsInANewProcessWithNoOtherCallAndGivesIdenticalOutputs()
    {
        using var audio = new TestAudio();
        var wav = audio.Write("in.wav", 44100, 0.5, WaveEncoding.Pcm16);
        var ml = new MLContext(seed: 1);
        var (model, data) = FitChain(ml, wav);
        var expected = ReadColumns(model.Transform(data), Columns);
        var zip = Path.Combine(audio.Folder, "model.zip");
        ml.Model.Save(model, data.Schema, zip);

        var outFile = Path.Combine(audio.Folder, "child.bin");
        var entry = typeof(CrossProcessChild).GetMethod(nameof(CrossProcessChild.LoadAndScore))!;
        var (exitCode, output) = ChildProcess.Run(entry, TimeSpan.FromMinutes(3), [zip, wav, outFile, .. Columns]);
        Assert.AreEqual(0, exitCode, $"child process failed:\n{output}");

        using var reader = new BinaryReader(File.OpenRead(outFile));
        foreach (var values in expected)
        {
            int length = reader.ReadInt32();
            Assert.AreEqual(values.Length, length);
            var child = Enumerable.Range(0, length).Select(_ => reader.ReadSingle()).ToArray();
            CollectionAssert.AreEqual(values, child, "the new process computes exactly what this one did");
        }
        Assert.AreEqual(reader.BaseStream.Length, reader.BaseStream.Position);
    }

    [TestMethod]
    public void LoadedChainWorksInAPredictionEngine()
    {
        using var audio = new TestAudio();
        var first = audio.Write("one.wav", 16000, 0.3);
        var second = audio.Write("two.wav", 16000, 0.45);
        var ml = new MLContext(seed: 1);
        var (model, data) = FitChain(ml, first);
        var zip = Path.Combine(audio.Folder, "model.zip");
        ml.Model.Save(model, data.Schema, zip);
        var loaded = ml.Model.Load(zip, out _);

        var engine = ml.Model.CreatePredictionEngine<AudioRow, MelRow>(loaded);
        var a = engine.Predict(new AudioRow { AudioPath = first });
        var b = engine.Predict(new AudioRow { AudioPath = second });
        using var mel = new MelSpectrogram(new MelSettings { SampleRate = 16000, FMax = 7000 });
        Assert.AreEqual(mel.FrameCount(4800) * 80, a.Mel.Length);
        Assert.AreEqual(mel.FrameCount(7200) * 80, b.Mel.Length, "a reused row object still recomputes for the next input");
    }

    public sealed class MelRow
    {
        public float[] Mel { get; set; } = [];
    }
}
