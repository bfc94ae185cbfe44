using System.Text.Json;
using MlNetTts.Audio;
using MlNetTts.Cli;

namespace MlNetTts.Tests.Cli;

[TestClass]
public sealed class SynthesizeCommandTests
{
    // Griffin-Lim with few iterations keeps these tests fast; the fixture Tacotron 2 is small.
    private static string[] Model(TempFolder output) =>
        ["--tacotron2", CliFixtures.Tacotron2Checkpoint, "--vocoder", "griffin-lim", "--griffin-lim-iters", "4", "--seed", "7", "-o", output.Path];

    private static void AssertSpeech(string path)
    {
        Assert.IsTrue(File.Exists(path), $"{path} was not written");
        var audio = WaveFile.Read(path, targetSampleRate: null);
        Assert.AreEqual(WaveFile.DefaultSampleRate, audio.SampleRate);
        Assert.IsGreaterThan(1000, audio.Samples.Length);
        Assert.IsGreaterThan(0.5f, audio.Samples.Max(Math.Abs), "normalized to full scale");
        Assert.IsTrue(audio.Samples.All(float.IsFinite));
    }

    [TestMethod]
    public void TextArgumentBecomesOneWav()
    {
        using var output = new TempFolder();
        var run = CliRun.Of(["synthesize", "Hello world.", .. Model(output)]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        AssertSpeech(output["audio-001.wav"]);
        Assert.HasCount(1, Directory.GetFiles(output.Path));
        StringAssert.Contains(run.Out, output["audio-001.wav"]);
        StringAssert.Contains(run.Out, "RTF");
    }

    [TestMethod]
    public void InputFileGivesOneWavPerLineNamedByLineNumber()
    {
        using var output = new TempFolder();
        var lines = output["lines.txt"];
        File.WriteAllLines(lines, ["First line.", "", "Third line, after a blank one."]);
        var run = CliRun.Of(["synthesize", "--input-file", lines, "--prefix", "say-", .. Model(output)]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        AssertSpeech(output["say-001.wav"]);
        AssertSpeech(output["say-003.wav"]);
        Assert.IsFalse(File.Exists(output["say-002.wav"]), "blank lines are skipped");
    }

    [TestMethod]
    public void StdinLinesWithIdsAreNamedById()
    {
        using var output = new TempFolder();
        var run = CliRun.WithInput("greeting|Good morning.\nfarewell|Good night.\n", ["synthesize", "--with-ids", "--batch-size", "2", "--json", .. Model(output)]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        AssertSpeech(output["greeting.wav"]);
        AssertSpeech(output["farewell.wav"]);
        using var json = JsonDocument.Parse(run.Out);
        Assert.AreEqual(2, json.RootElement.GetProperty("files").GetArrayLength());
        Assert.AreEqual(WaveFile.DefaultSampleRate, json.RootElement.GetProperty("sampleRate").GetInt32());
        Assert.IsGreaterThan(0, json.RootElement.GetProperty("rtf").GetDouble());
    }

    [TestMethod]
    public void LongLinesAreSplitIntoSentencesAndJoined()
    {
        using var output = new TempFolder();
        var run = CliRun.Of(["synthesize", "One sentence here. And another one! A third?", "--json", "--sentence-pause", "0.5", .. Model(output)]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var file = json.RootElement.GetProperty("files")[0];
        Assert.AreEqual(3, file.GetProperty("sentences").GetInt32());
        // Two pauses of 0.5 s are part of the joined audio.
        Assert.IsGreaterThan(1.0, file.GetProperty("seconds").GetDouble());
        AssertSpeech(output["audio-001.wav"]);
    }

    [TestMethod]
    public void PlotWritesMelAndAlignmentPngs()
    {
        using var output = new TempFolder();
        var run = CliRun.Of(["synthesize", "First part. Second part.", "--plot", .. Model(output)]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        foreach (var png in new[] { "audio-001.mel.png", "audio-001.alignment.png" })
        {
            var (width, height) = PngFile.Size(output[png]);
            Assert.AreEqual(1000, width, png);
            Assert.AreEqual(500, height, png);
            StringAssert.Contains(run.Out, output[png]);
        }
    }

    [TestMethod]
    public void WaveGlowMustMatchTheTacotron2MelChannels()
    {
        using var output = new TempFolder();
        var run = CliRun.Of("synthesize", "Hello.", "--tacotron2", CliFixtures.Tacotron2Checkpoint, "--waveglow", CliFixtures.WaveGlowCheckpoint,
            "--denoiser-strength", "0", "-o", output.Path);
        if (CliFixtures.WaveGlowMelChannels == CliFixtures.Tacotron2MelChannels)
        {
            Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
            AssertSpeech(output["audio-001.wav"]);
            return;
        }
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, $"expects {CliFixtures.WaveGlowMelChannels} mel channels");
        StringAssert.Contains(run.Error, $"produces {CliFixtures.Tacotron2MelChannels}");
        StringAssert.Contains(run.Error, Path.GetFileName(CliFixtures.WaveGlowCheckpoint));
        Assert.IsEmpty(Directory.GetFiles(output.Path), "nothing is written on failure");
    }

    [TestMethod]
    public void UsageErrorsExitWith2AndShowUsage()
    {
        using var output = new TempFolder();
        var cases = new[]
        {
            (new[] { "synthesize", "--tacotron2", CliFixtures.Tacotron2Checkpoint, "--vocoder", "griffin-lim" }, "nothing to say"),
            (new[] { "synthesize", "Hi.", "--tacotron2", CliFixtures.Tacotron2Checkpoint, "--voice", output.Path }, "not both"),
            (new[] { "synthesize", "Hi.", "--input-file", output["x.txt"], "--tacotron2", CliFixtures.Tacotron2Checkpoint }, "not both"),
            (new[] { "synthesize", "Hi.", "--tacotron2", CliFixtures.Tacotron2Checkpoint, "--vocoder", "waveglow" }, "--waveglow"),
            (new[] { "synthesize", "Hi.", "--precision", "fp8" }, "fp8"),
            (new[] { "synthesize", "--no-such-option" }, "--no-such-option"),
            (new[] { "synthesize", "Hi.", "--candidates", "0" }, "--candidates must be between 1 and"),
            (new[] { "synthesize", "Hi.", "--model", output["model.zip"], "--candidates", "3" }, "--candidates applies to"),
            (new[] { "synthesize", "Hi.", "--model", output["model.zip"], "--pronunciations", output["cmudict.dict"] }, "--pronunciations applies to"),
        };
        foreach (var (args, message) in cases)
        {
            var run = CliRun.Of(args);
            Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Error, message, run.ToString());
            StringAssert.Contains(run.Error, "Usage:", run.ToString());
        }
    }

    [TestMethod]
    public void WithoutAModelTheBundledVoiceSpeaksThroughGriffinLim()
    {
        using var output = new TempFolder();
        var run = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--seed", "1");
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Out, "griffin-lim");
        var wav = Path.Combine(output.Path, "audio-001.wav");
        Assert.IsTrue(File.Exists(wav), run.ToString());
        Assert.IsGreaterThan(0.3, MlNetTts.Audio.WaveFile.Read(wav, targetSampleRate: null).Seconds, "a two-word sentence lasts a fraction of a second at least");
    }

    [TestMethod]
    public void CandidatesKeepOneDrawOfTheSentence()
    {
        using var output = new TempFolder();
        var one = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "one-", "--seed", "1");
        var best = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "best-", "--seed", "1", "--candidates", "3");
        Assert.AreEqual(ExitCodes.Ok, best.ExitCode, best.ToString());
        double oneSeconds = MlNetTts.Audio.WaveFile.Read(output["one-001.wav"], targetSampleRate: null).Seconds;
        double bestSeconds = MlNetTts.Audio.WaveFile.Read(output["best-001.wav"], targetSampleRate: null).Seconds;
        // Draws of one sentence differ in detail, not in what they say: about the same length.
        Assert.IsTrue(Math.Abs(bestSeconds - oneSeconds) < 0.25 * oneSeconds, $"one draw {oneSeconds:F2} s, best of three {bestSeconds:F2} s");
    }

    [TestMethod]
    public void AVoiceKeepsTheLoudnessItsMelsCarryUnlessPeakLevelIsAsked()
    {
        using var output = new TempFolder();
        var kept = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "kept-", "--seed", "1");
        var peaked = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "peak-", "--seed", "1", "--level", "peak");
        Assert.AreEqual(ExitCodes.Ok, kept.ExitCode, kept.ToString());
        Assert.AreEqual(ExitCodes.Ok, peaked.ExitCode, peaked.ToString());
        float keptPeak = MlNetTts.Audio.WaveFile.Read(output["kept-001.wav"], targetSampleRate: null).Samples.Max(Math.Abs);
        float fullPeak = MlNetTts.Audio.WaveFile.Read(output["peak-001.wav"], targetSampleRate: null).Samples.Max(Math.Abs);
        // The bundled voice's teacher peaks near 0.5 (flite); Griffin-Lim of its mels lands near there, not at full scale.
        Assert.IsTrue(keptPeak is > 0.1f and < 0.9f, $"kept level peaks at {keptPeak}");
        Assert.IsGreaterThan(0.99f, fullPeak, "--level peak scales to full scale");
    }

    [TestMethod]
    public void PronunciationsReadKnownWordsAsPhones()
    {
        using var output = new TempFolder();
        File.WriteAllText(output["words.dict"], "good G UH1 D\nmorning M AO1 R N IH0 NG\n");
        var letters = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "letters-", "--seed", "1");
        var phones = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "phones-", "--seed", "1", "--pronunciations", output["words.dict"]);
        Assert.AreEqual(ExitCodes.Ok, phones.ExitCode, phones.ToString());
        // Same seed, same draws: only the encoded symbols differ ("{G UH1 D} {M AO1 R N IH0 NG}." against the letters).
        CollectionAssert.AreNotEqual(File.ReadAllBytes(output["letters-001.wav"]), File.ReadAllBytes(output["phones-001.wav"]));
        var again = CliRun.Of("synthesize", "Good morning.", "-o", output.Path, "--prefix", "again-", "--seed", "1");
        CollectionAssert.AreEqual(File.ReadAllBytes(output["letters-001.wav"]), File.ReadAllBytes(output["again-001.wav"]), "a seed repeats a run");
        var missing = CliRun.Of("synthesize", "Hi.", "-o", output.Path, "--pronunciations", output["absent.dict"]);
        Assert.AreEqual(ExitCodes.Failure, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "absent.dict");
    }

    [TestMethod]
    public void MissingCheckpointFailsNamingTheFile()
    {
        using var output = new TempFolder();
        var run = CliRun.Of("synthesize", "Hi.", "--tacotron2", output["absent.pt"], "--vocoder", "griffin-lim", "-o", output.Path);
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "absent.pt");
    }

    [TestMethod]
    public void BadInputLinesFailNamingSourceAndLine()
    {
        using var output = new TempFolder();
        var cases = new[]
        {
            ("ok|Fine.\n../escape|Out of the folder.\n", "line 2"),
            ("ok|Fine.\nok|Again.\n", "used before"),
            ("no id column here\n", "expected 'id|text'"),
        };
        foreach (var (stdin, message) in cases)
        {
            var run = CliRun.WithInput(stdin, ["synthesize", "--with-ids", .. Model(output)]);
            Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Error, "stdin", run.ToString());
            StringAssert.Contains(run.Error, message, run.ToString());
        }
        Assert.IsEmpty(Directory.GetFiles(output.Path), "input is checked before anything is written");
        var missing = CliRun.Of(["synthesize", "--input-file", output["absent.txt"], .. Model(output)]);
        Assert.AreEqual(ExitCodes.Failure, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "absent.txt");
    }
}
