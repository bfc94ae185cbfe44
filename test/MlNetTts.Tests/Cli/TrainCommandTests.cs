using MlNetTts.Cli;
using MlNetTts.Cli.Commands;
using MlNetTts.Training;
using TorchSharp;

namespace MlNetTts.Tests.Cli;

[TestClass]
[DoNotParallelize]
public sealed class TrainCommandTests
{
    private static int _threads;

    // One thread: a multi-thread NaN issue in training is being fixed elsewhere; these tests check the verb, not speed.
    [ClassInitialize]
    public static void PinThreads(TestContext _)
    {
        _threads = torch.get_num_threads();
        torch.set_num_threads(1);
    }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    /// <summary>A Tacotron 2 small enough to train a few steps in seconds (sizes only; the architecture is the reference's).</summary>
    public const string TinyTacotron2 = """
        { "SymbolsEmbeddingDim": 32, "EncoderEmbeddingDim": 32, "EncoderConvolutions": 1, "AttentionRnnDim": 32, "AttentionDim": 16,
          "AttentionLocationFilters": 4, "DecoderRnnDim": 32, "PrenetDim": 16, "PostnetEmbeddingDim": 16, "PostnetConvolutions": 2 }
        """;

    public const string TinyWaveGlow = """
        { "NFlows": 2, "NGroup": 4, "NEarlyEvery": 4, "NEarlySize": 2, "WN": { "NLayers": 2, "NChannels": 8, "KernelSize": 3 } }
        """;

    private static string[] Tacotron2Args(TinyDataset data, TempFolder output, string config) =>
        ["train", "tacotron2", data.Root, "-o", output["run"], "--config", config, "-bs", "2", "--epochs-per-checkpoint", "1", "--seed", "3"];

    [TestMethod]
    public void Tacotron2TrainsAFewStepsThenResumes()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        File.WriteAllText(output["tiny.json"], TinyTacotron2);
        var first = CliRun.Of([.. Tacotron2Args(data, output, output["tiny.json"]), "--epochs", "1", "--validation", data.Metadata]);
        Assert.AreEqual(ExitCodes.Ok, first.ExitCode, first.ToString());
        string checkpoint = Path.Combine(output["run"], "checkpoint_Tacotron2_0.safetensors");
        Assert.IsTrue(File.Exists(checkpoint), first.ToString());
        StringAssert.Contains(first.Out, "done: 1 epoch(s)");
        StringAssert.Contains(first.Error, "loss", "plain progress lines when not on a terminal");

        string log = Path.Combine(output["run"], TrainCommand.LossLogName);
        var rows = File.ReadAllLines(log);
        Assert.AreEqual("step,epoch,train_loss,val_loss", rows[0]);
        Assert.IsTrue(rows.Skip(1).Any(r => r.EndsWith(',') && r.Split(',')[2].Length > 0), "a training-loss row per step");
        Assert.IsTrue(rows.Skip(1).Any(r => r.Split(',')[3].Length > 0), "a validation-loss row per epoch");
        int firstRows = rows.Length;

        var resumed = CliRun.Of("train", "tacotron2", data.Root, "-o", output["run"], "--resume", checkpoint, "--epochs", "2", "--scheduled-sampling", "0.25", "--mel-loss", "l1+mse");
        Assert.AreEqual(ExitCodes.Ok, resumed.ExitCode, resumed.ToString());
        string second = Path.Combine(output["run"], "checkpoint_Tacotron2_1.safetensors");
        Assert.IsTrue(File.Exists(second), resumed.ToString());
        using (var saved = Tacotron2Trainer.Resume(second))
        {
            Assert.AreEqual(0.25, saved.Options.ScheduledSampling, "an option given on resume replaces the saved one");
            Assert.AreEqual(MlNetTts.Tacotron2.MelLoss.L1PlusMse, saved.Options.MelLoss);
            saved.Model.Dispose();
        }
        StringAssert.Contains(resumed.Out, "done: 2 epoch(s)");
        var after = File.ReadAllLines(log);
        Assert.IsGreaterThan(firstRows, after.Length, "the resumed run appends to the log");
        Assert.AreEqual(1, after.Count(l => l.StartsWith("step,", StringComparison.Ordinal)), "one header");

        var plot = CliRun.Of("plot", "loss", log, "-o", output["loss.png"]);
        Assert.AreEqual(ExitCodes.Ok, plot.ExitCode, plot.ToString());
        Assert.IsTrue(File.Exists(output["loss.png"]));
    }

    [TestMethod]
    public void Tacotron2FineTunesOnPhonesAndItsVoiceKeepsTheDictionary()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        File.WriteAllText(output["tiny.json"], TinyTacotron2);
        File.WriteAllText(output["words.dict"], "the DH AH0\nin IH0 N\nit IH1 T\nfrom F R AH1 M\nall AO1 L\narts AA1 R T S\nprinting P R IH1 N T IH0 NG\n");
        var letters = CliRun.Of([.. Tacotron2Args(data, output, output["tiny.json"]), "--epochs", "1"]);
        Assert.AreEqual(ExitCodes.Ok, letters.ExitCode, letters.ToString());
        string checkpoint = Path.Combine(output["run"], "checkpoint_Tacotron2_0.safetensors");

        var phones = CliRun.Of("train", "tacotron2", data.Root, "-o", output["phones"], "--checkpoint", checkpoint, "-bs", "2", "--epochs", "1",
            "--pronunciations", output["words.dict"], "--phones-from-letters");
        Assert.AreEqual(ExitCodes.Ok, phones.ExitCode, phones.ToString());
        var export = CliRun.Of("voice", "export", Path.Combine(output["phones"], "checkpoint_Tacotron2_0.safetensors"), "-o", output["voice"], "--name", "phones",
            "--pronunciations", output["words.dict"]);
        Assert.AreEqual(ExitCodes.Ok, export.ExitCode, export.ToString());
        Assert.AreEqual(7, global::MlNetTts.Voices.Voice.Load(output["voice"]).Pronunciations!.Count);

        var fresh = CliRun.Of([.. Tacotron2Args(data, output, output["tiny.json"]), "--epochs", "1", "--phones-from-letters"]);
        Assert.AreEqual(ExitCodes.Usage, fresh.ExitCode, fresh.ToString());
        StringAssert.Contains(fresh.Error, "--checkpoint");
        var badDictionary = CliRun.Of("train", "tacotron2", data.Root, "-o", output["bad"], "--checkpoint", checkpoint, "--pronunciations", output["tiny.json"]);
        Assert.AreNotEqual(ExitCodes.Ok, badDictionary.ExitCode, badDictionary.ToString());
        StringAssert.Contains(badDictionary.Error, "tiny.json");
    }

    [TestMethod]
    public void Tacotron2WarmStartsFromAVoiceFolder()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        File.WriteAllText(output["tiny.json"], TinyTacotron2);
        var first = CliRun.Of([.. Tacotron2Args(data, output, output["tiny.json"]), "--epochs", "1"]);
        Assert.AreEqual(ExitCodes.Ok, first.ExitCode, first.ToString());
        var export = CliRun.Of("voice", "export", Path.Combine(output["run"], "checkpoint_Tacotron2_0.safetensors"), "-o", output["voice"], "--name", "tiny");
        Assert.AreEqual(ExitCodes.Ok, export.ExitCode, export.ToString());
        var averaged = CliRun.Of("voice", "export", Path.Combine(output["run"], "checkpoint_Tacotron2_0.safetensors"), output["voice"], "-o", output["averaged"], "--name", "tiny");
        Assert.AreEqual(ExitCodes.Ok, averaged.ExitCode, averaged.ToString());
        StringAssert.Contains(averaged.Out, "the average of 2 checkpoints");

        var warm = CliRun.Of("train", "tacotron2", data.Root, "-o", output["warm"], "--checkpoint", output["voice"], "-bs", "2", "--epochs", "1");
        Assert.AreEqual(ExitCodes.Ok, warm.ExitCode, warm.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(output["warm"], "checkpoint_Tacotron2_0.safetensors")), warm.ToString());

        File.WriteAllText(output["wider.json"], "{ \"DecoderRnnDim\": 40 }");
        var widened = CliRun.Of("train", "tacotron2", data.Root, "-o", output["wide"], "--checkpoint", output["voice"], "--config", output["wider.json"], "-bs", "2", "--epochs", "1");
        Assert.AreEqual(ExitCodes.Ok, widened.ExitCode, widened.ToString());
        using (var saved = Tacotron2Trainer.Resume(Path.Combine(output["wide"], "checkpoint_Tacotron2_0.safetensors")))
        {
            Assert.AreEqual(40, saved.Model.Config.DecoderRnnDim, "--config on a warm start widens the decoder");
            saved.Model.Dispose();
        }
        File.WriteAllText(output["other.json"], "{ \"PrenetDim\": 12 }");
        var changed = CliRun.Of("train", "tacotron2", data.Root, "-o", output["other"], "--checkpoint", output["voice"], "--config", output["other.json"], "--epochs", "1");
        Assert.AreNotEqual(ExitCodes.Ok, changed.ExitCode, changed.ToString());
        StringAssert.Contains(changed.Error, "PrenetDim");

        var missing = CliRun.Of("train", "tacotron2", data.Root, "-o", output["warm2"], "--checkpoint", output["no-such-voice"], "--epochs", "1");
        Assert.AreNotEqual(ExitCodes.Ok, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, output["no-such-voice"]);
    }

    [TestMethod]
    public void CancelledRunWritesTheCancelledCheckpointAndExits130()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        File.WriteAllText(output["tiny.json"], TinyTacotron2);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var run = CliRun.Cancelled(cancel.Token, [.. Tacotron2Args(data, output, output["tiny.json"]), "--epochs", "5"]);
        Assert.AreEqual(ExitCodes.Cancelled, run.ExitCode, run.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(output["run"], "checkpoint_Tacotron2_cancelled.safetensors")), run.ToString());
        StringAssert.Contains(run.Out, "cancelled");
    }

    [TestMethod]
    public void WaveGlowTrainsAFewStepsOnSegments()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        File.WriteAllText(output["tiny.json"], TinyWaveGlow);
        var run = CliRun.Of("train", "waveglow", data.Root, "-o", output["run"], "--config", output["tiny.json"], "-bs", "2",
            "--segment-length", "2048", "--epochs", "1", "--seed", "3");
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(output["run"], "checkpoint_WaveGlow_0.safetensors")), run.ToString());
        Assert.IsGreaterThan(1, File.ReadAllLines(Path.Combine(output["run"], TrainCommand.LossLogName)).Length);
    }

    [TestMethod]
    public void BadTrainArgumentsAreUsageErrorsOrNameTheInput()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        var noModel = CliRun.Of("train");
        Assert.AreEqual(ExitCodes.Usage, noModel.ExitCode, noModel.ToString());
        StringAssert.Contains(noModel.Error, "tacotron2 or waveglow");
        var badEpochs = CliRun.Of("train", "tacotron2", data.Root, "-o", output["run"], "--epochs", "0");
        Assert.AreEqual(ExitCodes.Usage, badEpochs.ExitCode, badEpochs.ToString());
        StringAssert.Contains(badEpochs.Error, "Epochs");
        var badRate = CliRun.Of("train", "tacotron2", data.Root, "-o", output["run"], "--scheduled-sampling", "2");
        Assert.AreEqual(ExitCodes.Usage, badRate.ExitCode, badRate.ToString());
        StringAssert.Contains(badRate.Error, "ScheduledSampling");
        var badLoss = CliRun.Of("train", "tacotron2", data.Root, "-o", output["run"], "--mel-loss", "huber");
        Assert.AreEqual(ExitCodes.Usage, badLoss.ExitCode, badLoss.ToString());
        StringAssert.Contains(badLoss.Error, "huber");
        File.WriteAllText(output["bad.json"], "{ \"NoSuchSize\": 3 }");
        var badConfig = CliRun.Of("train", "tacotron2", data.Root, "-o", output["run"], "--config", output["bad.json"]);
        Assert.AreEqual(ExitCodes.Failure, badConfig.ExitCode, badConfig.ToString());
        StringAssert.Contains(badConfig.Error, "NoSuchSize");
        var missing = CliRun.Of("train", "waveglow", output["nowhere"], "-o", output["run"]);
        Assert.AreEqual(ExitCodes.Failure, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "nowhere");
    }

    [TestMethod]
    public void Tacotron2ReadsMelsFromThePrepareMelCache()
    {
        using var data = TinyDataset.Clean();
        using var output = new TempFolder();
        File.WriteAllText(output["tiny.json"], TinyTacotron2);
        var prepare = CliRun.Of("prepare", data.Root, "--mel-cache", output["mels"]);
        Assert.AreEqual(ExitCodes.Ok, prepare.ExitCode, prepare.ToString());
        // With the WAVs gone, only the cache can supply the mels.
        foreach (var wav in Directory.GetFiles(data.Wavs)) File.Delete(wav);
        var run = CliRun.Of([.. Tacotron2Args(data, output, output["tiny.json"]), "--epochs", "1", "--mel-cache", output["mels"]]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(output["run"], "checkpoint_Tacotron2_0.safetensors")), run.ToString());
    }
}
