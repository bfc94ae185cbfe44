using MlNetTts.Audio;
using MlNetTts.Cli;

namespace MlNetTts.Tests.Cli;

[TestClass]
public sealed class PlotCommandTests
{
    [TestMethod]
    public void LossCurvesFromTheTrainingLogCsv()
    {
        using var folder = new TempFolder();
        var log = folder["log.csv"];
        File.WriteAllLines(log, ["step,epoch,train_loss,val_loss", "1,0,1.50,", "2,0,1.20,", "3,1,0.90,1.10", "4,1,0.80,", "5,2,0.70,0.95"]);
        var run = CliRun.Of("plot", "loss", log);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        Assert.AreEqual((1000, 500), PngFile.Size(folder["log.png"]));
        StringAssert.Contains(run.Out, folder["log.png"]);
    }

    [TestMethod]
    public void LossLogWithoutTheExpectedHeaderFailsNamingTheColumns()
    {
        using var folder = new TempFolder();
        var log = folder["log.csv"];
        File.WriteAllLines(log, ["iteration,loss", "1,0.5"]);
        var run = CliRun.Of("plot", "loss", log, "-o", folder["out.png"]);
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "step, epoch, train_loss, val_loss");
        Assert.IsFalse(File.Exists(folder["out.png"]));

        File.WriteAllLines(log, ["step,epoch,train_loss,val_loss", "1,0,abc,"]);
        var bad = CliRun.Of("plot", "loss", log);
        Assert.AreEqual(ExitCodes.Failure, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Error, "line 2");
    }

    [TestMethod]
    public void MelFromAWavAndFromTheMelCache()
    {
        using var data = TinyDataset.Clean();
        using var folder = new TempFolder();
        var wav = Path.Combine(data.Wavs, "good1.wav");
        var fromWav = CliRun.Of("plot", "mel", wav, "-o", folder["wav.png"]);
        Assert.AreEqual(ExitCodes.Ok, fromWav.ExitCode, fromWav.ToString());
        Assert.AreEqual((1000, 500), PngFile.Size(folder["wav.png"]));

        var prepare = CliRun.Of("prepare", data.Root, "--mel-cache", folder["cache"]);
        Assert.AreEqual(ExitCodes.Ok, prepare.ExitCode, prepare.ToString());
        var cached = folder["cache/good1.safetensors"];
        var fromCache = CliRun.Of("plot", "mel", cached, "-o", folder["cache.png"]);
        Assert.AreEqual(ExitCodes.Ok, fromCache.ExitCode, fromCache.ToString());
        Assert.AreEqual((1000, 500), PngFile.Size(folder["cache.png"]));

        // Any 2-D tensor of a safetensors file can be drawn as an alignment; a wrong name lists what the file has.
        var alignment = CliRun.Of("plot", "alignment", cached, "--tensor", "mel", "-o", folder["align.png"]);
        Assert.AreEqual(ExitCodes.Ok, alignment.ExitCode, alignment.ToString());
        Assert.AreEqual((1000, 500), PngFile.Size(folder["align.png"]));
        var missing = CliRun.Of("plot", "alignment", cached);
        Assert.AreEqual(ExitCodes.Failure, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "no tensor 'alignments'");
    }

    [TestMethod]
    public void NotAWavFails()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["fake.wav"], "nope");
        var run = CliRun.Of("plot", "mel", folder["fake.wav"]);
        Assert.AreEqual(ExitCodes.Failure, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "fake.wav");
    }
}
