using System.Text.Json;
using Microsoft.ML;
using MlNetTts.Audio;
using MlNetTts.Cli;
using MlNetTts.Speech;

namespace MlNetTts.Tests.Cli;

[TestClass]
public sealed class SynthesizeModelZipTests
{
    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    // A chain built from the fixture Tacotron 2 checkpoint (+ Griffin-Lim when withAudio), saved with Model.Save.
    private static string SaveChain(TempFolder folder, bool withAudio)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "Fit needs a row." } });
        var textToMel = ml.Transforms.TextToMel(new TextToMelOptions { CheckpointPath = CliFixtures.Tacotron2Checkpoint, PrenetDropout = false });
        ITransformer model = withAudio
            ? textToMel.Append(ml.Transforms.MelToAudioGriffinLim(iterations: 4)).Fit(data)
            : textToMel.Fit(data);
        string path = folder[withAudio ? "chain.zip" : "mel-only.zip"];
        ml.Model.Save(model, data.Schema, path);
        return path;
    }

    [TestMethod]
    public void ModelZipWithAudioColumnWritesOneWavPerLine()
    {
        using var output = new TempFolder();
        string zip = SaveChain(output, withAudio: true);
        var run = CliRun.WithInput("first|Good morning.\nsecond|Good night. See you.\n",
            ["synthesize", "--model", zip, "--with-ids", "--json", "--plot", "-o", output.Path]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        foreach (var name in new[] { "first", "second" })
        {
            var audio = WaveFile.Read(output[name + ".wav"], targetSampleRate: null);
            Assert.AreEqual(WaveFile.DefaultSampleRate, audio.SampleRate);
            Assert.IsGreaterThan(1000, audio.Samples.Length);
            Assert.IsTrue(audio.Samples.All(float.IsFinite));
            Assert.IsTrue(File.Exists(output[name + ".mel.png"]), "the mel column is plotted");
        }
        using var json = JsonDocument.Parse(run.Out);
        StringAssert.Contains(json.RootElement.GetProperty("vocoder").GetString(), "Audio");
    }

    [TestMethod]
    public void ModelZipWithoutAudioColumnIsVocodedByGriffinLim()
    {
        using var output = new TempFolder();
        string zip = SaveChain(output, withAudio: false);
        var run = CliRun.Of("synthesize", "Hello world.", "--model", zip, "--griffin-lim-iters", "4", "--json", "-o", output.Path);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        var audio = WaveFile.Read(output["audio-001.wav"], targetSampleRate: null);
        Assert.AreEqual(WaveFile.DefaultSampleRate, audio.SampleRate);
        Assert.IsGreaterThan(1000, audio.Samples.Length);
        using var json = JsonDocument.Parse(run.Out);
        StringAssert.Contains(json.RootElement.GetProperty("vocoder").GetString(), "griffin-lim");
    }

    [TestMethod]
    public void ModelZipAndCheckpointTogetherIsAUsageError()
    {
        using var output = new TempFolder();
        var run = CliRun.Of("synthesize", "Hi.", "--model", output["x.zip"], "--tacotron2", CliFixtures.Tacotron2Checkpoint);
        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "--model");
    }

    [TestMethod]
    public void ModelZipThatIsNotAModelFailsNamingIt()
    {
        using var output = new TempFolder();
        File.WriteAllText(output["bogus.zip"], "not a zip");
        var run = CliRun.Of("synthesize", "Hi.", "--model", output["bogus.zip"], "-o", output.Path);
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "bogus.zip");
    }
}
