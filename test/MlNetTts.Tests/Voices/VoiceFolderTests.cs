using MlNetTts.Tacotron2;
using MlNetTts.Tests.Training;
using MlNetTts.Text;
using MlNetTts.Voices;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Voices;

[TestClass]
public sealed class VoiceFolderTests
{
    private string _dir = "";

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnettts-voice-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private static Tacotron2Model TinyModel()
    {
        manual_seed(7);
        return new Tacotron2Model(SyntheticSpeech.TinyConfig);
    }

    private static VoiceManifest Manifest => new() { Name = "tiny", Description = "test voice", Tacotron2 = new(), SentenceMaxLength = 77, GriffinLimIterations = 12 };

    [TestMethod]
    public void ExportedVoiceLoadsTheSameWeightsRoundedToFloat16()
    {
        using var original = TinyModel();
        Voice.Export(original, _dir, Manifest);

        var voice = Voice.Load(_dir);
        using var loaded = voice.CreateTacotron2();
        Assert.AreEqual(original.Config, loaded.Config);
        Assert.AreEqual(77, voice.Manifest.SentenceMaxLength);
        Assert.AreEqual(12, voice.Manifest.GriffinLimIterations);
        var expected = original.state_dict();
        foreach (var (name, value) in loaded.state_dict())
        {
            using var rounded = expected[name].is_floating_point() ? expected[name].to_type(ScalarType.Float16).to_type(ScalarType.Float32) : expected[name].clone();
            Assert.IsTrue(rounded.allclose(value, rtol: 0, atol: 0), $"parameter {name} differs from its fp16 rounding");
            Assert.AreEqual(expected[name].dtype, value.dtype, $"parameter {name} should come back in the model's dtype");
        }
    }

    [TestMethod]
    public void ExportCanSetTheDecoderCapAndGateThresholdTheVoiceSpeaksWith()
    {
        using var model = TinyModel();
        var voice = Voice.Export(model, _dir, Manifest, maxDecoderSteps: 123, gateThreshold: 0.3);
        Assert.AreEqual(SyntheticSpeech.TinyConfig with { MaxDecoderSteps = 123, GateThreshold = 0.3 }, voice.Manifest.Tacotron2);
        using var loaded = voice.CreateTacotron2();
        Assert.AreEqual(123, loaded.Config.MaxDecoderSteps);
        Assert.AreEqual(0.3, loaded.Config.GateThreshold);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Voice.Export(model, _dir, Manifest, gateThreshold: 1.5));
    }

    [TestMethod]
    public void TrainingCanWarmStartFromAVoiceFolderWithItsArchitectureAndWeights()
    {
        using var original = TinyModel();
        Voice.Export(original, _dir, Manifest, maxDecoderSteps: 321);

        using var warm = MlNetTts.Training.Tacotron2Trainer.LoadModel(_dir);
        Assert.AreEqual(SyntheticSpeech.TinyConfig with { MaxDecoderSteps = 321 }, warm.Config);
        using var expected = original.state_dict()["decoder.attention_rnn.weight_ih"].to_type(ScalarType.Float16).to_type(ScalarType.Float32);
        Assert.IsTrue(expected.allclose(warm.state_dict()["decoder.attention_rnn.weight_ih"], rtol: 0, atol: 0), "the warm-started model should hold the voice's weights");
    }

    [TestMethod]
    public void Float16WeightsTakeHalfTheBytesOfFloat32()
    {
        using var model = TinyModel();
        string half = Path.Combine(_dir, "half"), full = Path.Combine(_dir, "full");
        long halfBytes = new FileInfo(Voice.Export(model, half, Manifest).WeightsPath).Length;
        long fullBytes = new FileInfo(Voice.Export(model, full, Manifest, ScalarType.Float32).WeightsPath).Length;
        Assert.IsLessThan(0.55 * fullBytes, (double)halfBytes);
    }

    [TestMethod]
    public void AFolderWithoutAManifestIsRefusedByName()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => Voice.Load(_dir));
        Assert.Contains(Voice.ManifestFileName, error.Message);
        Assert.Contains(_dir, error.Message);
    }

    [TestMethod]
    public void AMissingWeightsFileIsNamed()
    {
        using var model = TinyModel();
        var voice = Voice.Export(model, _dir, Manifest);
        File.Delete(voice.WeightsPath);
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => Voice.Load(_dir));
        Assert.Contains(voice.Manifest.WeightsFile, error.Message);
    }

    [TestMethod]
    public void AManifestOfAnotherFormatIsRefused()
    {
        using var model = TinyModel();
        Voice.Export(model, _dir, Manifest);
        Rewrite(json => json.Replace(VoiceManifest.CurrentFormat, "SomeoneElse.Voice/9", StringComparison.Ordinal));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Voice.Load(_dir));
        Assert.Contains("SomeoneElse.Voice/9", error.Message);
    }

    [TestMethod]
    public void MelSharpeningIsKeptAndAManifestWithoutItMeansNone()
    {
        using var model = TinyModel();
        Assert.AreEqual(0.75, Voice.Export(model, _dir, Manifest with { MelSharpening = 0.75 }).Manifest.MelSharpening);
        Assert.AreEqual(0.75, Voice.Load(_dir).Manifest.MelSharpening);
        Rewrite(json => System.Text.RegularExpressions.Regex.Replace(json, ",?\\s*\"MelSharpening\": [0-9.]+", ""));
        Assert.AreEqual(0.0, Voice.Load(_dir).Manifest.MelSharpening);
    }

    [TestMethod]
    public void CandidatesAreKeptReachTheSynthesisOptionsAndAManifestWithoutThemMeansOneDraw()
    {
        using var model = TinyModel();
        Voice.Export(model, _dir, Manifest with { Candidates = 5 });
        var voice = Voice.Load(_dir);
        Assert.AreEqual(5, voice.Manifest.Candidates);
        Assert.AreEqual(5, voice.SynthesisOptions().Candidates);
        Rewrite(json => System.Text.RegularExpressions.Regex.Replace(json, ",?\\s*\"Candidates\": [0-9]+", ""));
        Assert.AreEqual(1, Voice.Load(_dir).Manifest.Candidates);
    }

    [TestMethod]
    public void PronunciationsAreWrittenIntoTheFolderAndReachTheSynthesisOptions()
    {
        using var model = TinyModel();
        var dictionary = PronunciationDictionary.Read(new StringReader("navy N EY1 V IY0\nthe DH AH0\n"), "test.dict");
        Voice.Export(model, _dir, Manifest, pronunciations: dictionary);
        var voice = Voice.Load(_dir);
        Assert.AreEqual(Voice.DefaultPronunciationsFile, voice.Manifest.PronunciationsFile);
        Assert.IsTrue(File.Exists(Path.Combine(_dir, Voice.DefaultPronunciationsFile)));
        Assert.AreEqual(2, voice.Pronunciations!.Count);
        Assert.AreSame(voice.Pronunciations, voice.SynthesisOptions().Pronunciations);
        Assert.IsTrue(voice.SynthesisOptions().Pronunciations!.TryGetPhones("Navy", out var phones));
        Assert.AreEqual("N EY1 V IY0", phones);
        // Without the entry the voice reads letters.
        Rewrite(json => System.Text.RegularExpressions.Regex.Replace(json, ",?\\s*\"PronunciationsFile\": \"[^\"]*\"", ""));
        Assert.IsNull(Voice.Load(_dir).Pronunciations);
    }

    [TestMethod]
    public void AMissingOrOutsidePronunciationsFileIsRefusedNamingIt()
    {
        using var model = TinyModel();
        Voice.Export(model, _dir, Manifest, pronunciations: PronunciationDictionary.Read(new StringReader("the DH AH0\n"), "test.dict"));
        File.Delete(Path.Combine(_dir, Voice.DefaultPronunciationsFile));
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => Voice.Load(_dir));
        Assert.Contains(Voice.DefaultPronunciationsFile, missing.Message);
        Rewrite(json => json.Replace(Voice.DefaultPronunciationsFile, "../elsewhere.dict", StringComparison.Ordinal));
        var outside = Assert.ThrowsExactly<InvalidDataException>(() => Voice.Load(_dir));
        Assert.Contains("PronunciationsFile", outside.Message);
        Assert.ThrowsExactly<ArgumentException>(() => Voice.Export(model, _dir, Manifest with { PronunciationsFile = "words.dict" }));
    }

    [TestMethod]
    public void CandidatesOutOfRangeAreRefusedNamingTheManifest()
    {
        using var model = TinyModel();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Voice.Export(model, _dir, Manifest with { Candidates = 0 }));
        Voice.Export(model, _dir, Manifest with { Candidates = 2 });
        Rewrite(json => json.Replace("\"Candidates\": 2", "\"Candidates\": 99", StringComparison.Ordinal));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Voice.Load(_dir));
        Assert.Contains("Candidates", error.Message);
        Assert.Contains(Voice.ManifestFileName, error.Message);
    }

    [TestMethod]
    public void ANegativeMelSharpeningIsRefusedNamingTheManifest()
    {
        using var model = TinyModel();
        Voice.Export(model, _dir, Manifest with { MelSharpening = 0.5 });
        Rewrite(json => json.Replace("\"MelSharpening\": 0.5", "\"MelSharpening\": -0.5", StringComparison.Ordinal));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Voice.Load(_dir));
        Assert.Contains("MelSharpening", error.Message);
        Assert.Contains(Voice.ManifestFileName, error.Message);
    }

    [TestMethod]
    public void AWeightsFileOutsideTheFolderIsRefused()
    {
        using var model = TinyModel();
        Voice.Export(model, _dir, Manifest);
        Rewrite(json => json.Replace("\"tacotron2.safetensors\"", "\"../../etc/passwd\"", StringComparison.Ordinal));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Voice.Load(_dir));
        Assert.Contains("../../etc/passwd", error.Message);
    }

    [TestMethod]
    public void MalformedJsonIsAnInvalidDataErrorNamingTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, Voice.ManifestFileName), "{ \"Name\": ");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Voice.Load(_dir));
        Assert.Contains(Voice.ManifestFileName, error.Message);
    }

    [TestMethod]
    public void WeightsOfAnotherArchitectureAreRefusedWhenTheModelIsBuilt()
    {
        using var model = TinyModel();
        Voice.Export(model, _dir, Manifest);
        Rewrite(json =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
            node["Tacotron2"]!["PrenetDim"] = SyntheticSpeech.TinyConfig.PrenetDim * 2;
            return node.ToJsonString();
        });
        var voice = Voice.Load(_dir);
        Assert.ThrowsExactly<MlNetTts.Checkpoints.StateDictMismatchException>(() => voice.CreateTacotron2());
    }

    private void Rewrite(Func<string, string> edit)
    {
        string path = Path.Combine(_dir, Voice.ManifestFileName);
        File.WriteAllText(path, edit(File.ReadAllText(path)));
    }
}
