using System.Globalization;
using System.Text.Json;
using MlNetTts.Audio;
using MlNetTts.Checkpoints;
using MlNetTts.Cli;
using TorchSharp;

namespace MlNetTts.Tests.Cli;

[TestClass]
public sealed class PrepareCommandTests
{
    private static readonly string Steps = TinyDataset.MaxDecoderSteps.ToString(CultureInfo.InvariantCulture);

    [TestMethod]
    public void FindsEveryInjectedProblemInOnePass()
    {
        using var data = TinyDataset.WithEveryProblem();
        var run = CliRun.Of("prepare", data.Root, "--max-decoder-steps", Steps, "--json");
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var problems = json.RootElement.GetProperty("problems").EnumerateArray()
            .Select(p => (Kind: p.GetProperty("kind").GetString(), Id: p.GetProperty("id").GetString(), Line: p.GetProperty("line").GetInt32(),
                Severity: p.GetProperty("severity").GetString(), Message: p.GetProperty("message").GetString()!))
            .ToList();
        var expected = new (string Kind, string? Id, string Severity)[]
        {
            ("wrong-sample-rate", "rate16k", "error"),
            ("missing-audio", "missing", "error"),
            ("unreadable-audio", "unreadable", "error"),
            ("empty-text", "emptytext", "error"),
            ("dropped-characters", "dropped", "warning"),
            ("too-long", "toolong", "warning"),
            ("silent", "silent", "error"),
            ("leading-silence", "leading", "warning"),
            ("trailing-silence", "trailing", "warning"),
            ("malformed-line", null, "error"),
            ("duplicate-id", "good", "error"),
        };
        foreach (var (kind, id, severity) in expected)
            Assert.IsTrue(problems.Any(p => p.Kind == kind && p.Id == id && p.Severity == severity),
                $"expected {severity} {kind} for {id ?? "(no id)"}; got:\n{run.Out}");
        Assert.IsFalse(problems.Any(p => p.Id == "good" && p.Kind != "duplicate-id"), "the good clip was flagged:\n" + run.Out);
        Assert.HasCount(expected.Length, problems, run.Out);
        Assert.AreEqual(11, problems.Single(p => p.Kind == "malformed-line").Line);

        var dropped = problems.Single(p => p.Kind == "dropped-characters").Message;
        StringAssert.Contains(dropped, "'\"'");
        StringAssert.Contains(dropped, "'['");
        StringAssert.Contains(problems.Single(p => p.Kind == "wrong-sample-rate").Message, "16000 Hz");
        var root = json.RootElement;
        Assert.AreEqual(10, root.GetProperty("clips").GetInt32());
        Assert.AreEqual(8, root.GetProperty("readable").GetInt32());
        Assert.AreEqual(7, root.GetProperty("errors").GetInt32());
        Assert.AreEqual(4, root.GetProperty("warnings").GetInt32());
        Assert.AreEqual("ljspeech", root.GetProperty("layout").GetString());
    }

    [TestMethod]
    public void HumanReportListsEveryProblemInATable()
    {
        using var data = TinyDataset.WithEveryProblem();
        var run = CliRun.Of("prepare", data.Metadata, "--max-decoder-steps", Steps);
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        foreach (var kind in new[] { "wrong-sample-rate", "missing-audio", "unreadable-audio", "empty-text", "dropped-characters", "too-long", "silent", "leading-silence", "trailing-silence", "malformed-line", "duplicate-id" })
            StringAssert.Contains(run.Out, kind);
        StringAssert.Contains(run.Out, "Problems: 7 error(s), 4 warning(s)");
        Assert.DoesNotContain("\u001b", run.Out, "no colour codes when output is captured");
    }

    [TestMethod]
    public void CleanDatasetPassesAndStrictTurnsWarningsIntoFailure()
    {
        using var data = TinyDataset.Clean();
        var clean = CliRun.Of("prepare", data.Root, "--json");
        Assert.AreEqual(ExitCodes.Ok, clean.ExitCode, clean.ToString());
        using (var json = JsonDocument.Parse(clean.Out))
            Assert.AreEqual(0, json.RootElement.GetProperty("problems").GetArrayLength());

        // 0.5 s clips at 44 frames: a cap of 40 steps makes one warning, which fails only with --strict.
        var warned = CliRun.Of("prepare", data.Root, "--max-decoder-steps", "40");
        Assert.AreEqual(ExitCodes.Ok, warned.ExitCode, warned.ToString());
        StringAssert.Contains(warned.Out, "too-long");
        var strict = CliRun.Of("prepare", data.Root, "--max-decoder-steps", "40", "--strict");
        Assert.AreEqual(ExitCodes.Failure, strict.ExitCode, strict.ToString());
    }

    [TestMethod]
    public void ReadsNvidiaFileListsRelativeToTheAudioRoot()
    {
        using var data = TinyDataset.Clean();
        var list = Path.Combine(data.Root, "train_filelist.txt");
        File.WriteAllLines(list, ["wavs/good1.wav|Printing, in the only sense.", "wavs/nothere.wav|Gone."]);
        var run = CliRun.Of("prepare", list, "--audio-root", data.Root, "--json");
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.AreEqual("filelist", json.RootElement.GetProperty("layout").GetString());
        var problem = json.RootElement.GetProperty("problems").EnumerateArray().Single();
        Assert.AreEqual("missing-audio", problem.GetProperty("kind").GetString());
        Assert.AreEqual("nothere", problem.GetProperty("id").GetString());
        Assert.AreEqual(2, problem.GetProperty("line").GetInt32());
    }

    [TestMethod]
    public void ResampleToWritesFixedCopiesOfWrongRateClips()
    {
        using var data = TinyDataset.WithEveryProblem();
        using var output = new TempFolder();
        var run = CliRun.Of("prepare", data.Root, "--resample-to", "22050", "--resampled-dir", output.Path, "--json");
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        var files = Directory.GetFiles(output.Path);
        Assert.HasCount(1, files, string.Join(", ", files));
        Assert.AreEqual("rate16k.wav", Path.GetFileName(files[0]));
        var fixedClip = WaveFile.Read(files[0], targetSampleRate: null);
        Assert.AreEqual(22050, fixedClip.SampleRate);
        Assert.AreEqual(0.5, fixedClip.Seconds, 0.01);
        Assert.AreEqual(0.5, fixedClip.Samples.Max(), 0.02, "the tone keeps its level");
        using var json = JsonDocument.Parse(run.Out);
        Assert.AreEqual(1, json.RootElement.GetProperty("resampled").GetProperty("files").GetInt32());
    }

    [TestMethod]
    public void MelCacheHoldsFloat16MelsTheCoreReaderReadsBack()
    {
        using var data = TinyDataset.WithEveryProblem();
        using var cache = new TempFolder();
        var run = CliRun.Of("prepare", data.Root, "--mel-cache", cache.Path, "--json");
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());

        // Usable clips only (errors other than the sample rate are skipped); the 16 kHz clip is resampled first.
        var ids = Directory.GetFiles(cache.Path, "*.safetensors").Select(Path.GetFileNameWithoutExtension).Order().ToArray();
        CollectionAssert.AreEqual(new[] { "dropped", "good", "leading", "rate16k", "toolong", "trailing" }, ids);
        var list = File.ReadAllLines(Path.Combine(cache.Path, "filelist.txt"));
        CollectionAssert.Contains(list, "good.safetensors|Hello there.");

        var file = SafeTensorsFile.Open(Path.Combine(cache.Path, "good.safetensors"));
        Assert.AreEqual(torch.ScalarType.Float16, file.DType("mel"));
        Assert.AreEqual("256", file.Metadata["hop_length"]);
        Assert.AreEqual("22050", file.Metadata["sample_rate"]);
        using var scope = torch.NewDisposeScope();
        var cached = file.Read("mel").to(torch.ScalarType.Float32);
        var audio = WaveFile.Read(Path.Combine(data.Wavs, "good.wav"));
        using var front = new MelSpectrogram();
        var expected = front.Compute(torch.tensor(audio.Samples));
        CollectionAssert.AreEqual(expected.shape, cached.shape);
        Assert.AreEqual(80, cached.shape[0]);
        Assert.AreEqual(audio.Samples.Length / 256 + 1, cached.shape[1]);
        // float16 keeps about 3 decimal digits: log-mels down to -11.5 round by at most 2^-7.
        Assert.IsLessThan(0.01, (cached - expected).abs().max().item<float>());

        var rate16k = SafeTensorsFile.Open(Path.Combine(cache.Path, "rate16k.safetensors")).Shape("mel");
        Assert.AreEqual(22050 / 2 / 256 + 1, rate16k[1], 1, "the 16 kHz clip is cached at the model rate");
    }

    [TestMethod]
    public void MissingDatasetFailsNamingIt()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("prepare", folder["nothing-here"]);
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "nothing-here");
        var empty = CliRun.Of("prepare", folder.Path);
        Assert.AreEqual(ExitCodes.Failure, empty.ExitCode, empty.ToString());
        StringAssert.Contains(empty.Error, "metadata.csv");
    }

    [TestMethod]
    public void CancellationStopsWithExitCode130()
    {
        using var data = TinyDataset.Clean();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var run = CliRun.Cancelled(cancelled.Token, "prepare", data.Root);
        Assert.AreEqual(ExitCodes.Cancelled, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "cancelled");
    }
}
