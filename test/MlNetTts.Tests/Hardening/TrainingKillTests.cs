using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MlNetTts.Tests.MlNet;
using MlNetTts.Tests.Training;
using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// A training process killed at any moment (SIGKILL: no finally, no flush), including in the middle of a checkpoint
/// write, loses at most the checkpoint being written: every checkpoint file in the folder loads, every checkpoint the
/// run reported stays, the next run resumes from the newest, and after several kills the weights equal those of a
/// run never interrupted.
/// </summary>
[TestClass]
public sealed class TrainingKillTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(120);

    [TestMethod]
    public void KilledTrainingLosesAtMostTheCheckpointBeingWrittenAndResumesExactly() => Run(seed: 1, kills: 3);

    [TestMethod]
    [TestCategory("Slow")]
    public void KilledTrainingLosesAtMostTheCheckpointBeingWrittenAndResumesExactlyManySeeds()
    {
        for (int seed = 2; seed < 6; seed++) Run(seed, kills: 5);
    }

    private void Run(int seed, int kills)
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnettts-kill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var entry = typeof(TrainingKillChild).GetMethod(nameof(TrainingKillChild.Train))!;
        var reported = new List<string>();
        int killedMidWrite = 0;
        try
        {
            for (int round = 0; round < kills; round++)
            {
                // Even rounds wait for a checkpoint write to begin and kill inside it; odd rounds kill after a random delay.
                bool duringWrite = round % 2 == 0;
                int expectedStart = TrainingKillChild.Newest(folder) is { } before ? before.Epoch + 1 : 0;
                var staleTemps = TempFiles(folder).ToHashSet();
                using var child = ChildProcess.Start(entry, folder, "1000");
                var lines = Collect(child);
                var start = WaitForLine(child, lines, "start ");
                Assert.AreEqual(expectedStart, int.Parse(start.Split(' ')[1], CultureInfo.InvariantCulture), $"round {round} resumed from the newest checkpoint");

                if (duringWrite)
                {
                    // Let 0 to 2 checkpoints complete, then kill inside the next write.
                    int complete = random.Next(0, 3);
                    WaitUntil(child, lines, () => lines.Count(l => l.StartsWith("checkpoint ", StringComparison.Ordinal)) >= complete, $"{complete} checkpoints");
                    var known = TempFiles(folder).ToHashSet();
                    WaitUntil(child, lines, () => TempFiles(folder).Any(t => !known.Contains(t)), "a checkpoint write to begin");
                    Thread.Sleep(random.Next(0, 40));
                }
                else
                {
                    Thread.Sleep(random.Next(0, 3000));
                }
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                bool midWrite = TempFiles(folder).Any(t => !staleTemps.Contains(t));
                if (midWrite) killedMidWrite++;
                reported.AddRange(lines.Where(l => l.StartsWith("checkpoint ", StringComparison.Ordinal)).Select(l => l["checkpoint ".Length..]));
                TestContext.WriteLine($"seed {seed} round {round}: killed {(duringWrite ? "during a write" : "after a random delay")}, " +
                    $"{lines.Count(l => l.StartsWith("checkpoint ", StringComparison.Ordinal))} checkpoints written, mid-write {midWrite}, newest {TrainingKillChild.Newest(folder)?.Epoch.ToString(CultureInfo.InvariantCulture) ?? "none"}");

                foreach (var path in reported) Assert.IsTrue(File.Exists(path), $"reported checkpoint {path} was lost");
                foreach (var path in Directory.GetFiles(folder, "checkpoint_*.safetensors")) LoadsAndResumes(path);
            }
            Assert.IsGreaterThan(0, killedMidWrite, "no kill landed inside a checkpoint write; the test proved nothing about torn writes");

            // A last run to completion picks up from the newest checkpoint and ends where an uninterrupted run ends.
            int target = (TrainingKillChild.Newest(folder)?.Epoch ?? -1) + 3;
            using (var last = ChildProcess.Start(entry, folder, target.ToString(CultureInfo.InvariantCulture)))
            {
                var lines = Collect(last);
                Assert.IsTrue(last.WaitForExit(ChildTimeout), "the final run did not finish");
                last.WaitForExit(); // drains the output events
                Assert.AreEqual(0, last.ExitCode, string.Join('\n', lines));
                Assert.Contains($"done {target} ", string.Join('\n', lines));
            }
            AssertEqualsUninterruptedRun(Path.Combine(folder, $"checkpoint_Tacotron2_{target - 1}.safetensors"), target);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void LoadsAndResumes(string path)
    {
        Assert.IsTrue(TrainingCheckpoint.IsTrainingCheckpoint(path), $"{path} is torn");
        using var resumed = Tacotron2Trainer.Resume(path);
        resumed.Model.Dispose();
    }

    private static void AssertEqualsUninterruptedRun(string checkpoint, int epochs)
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            using var model = SyntheticSpeech.NewModel();
            using (var straight = new Tacotron2Trainer(model, TrainingKillChild.Options(null, epochs)))
                straight.Fit(SyntheticSpeech.Create(TrainingKillChild.TrainItems, TrainingKillChild.TrainSeed));
            using var resumed = Tacotron2Trainer.Resume(checkpoint);
            Assert.AreEqual(epochs, resumed.CompletedEpochs);
            using var scope = NewDisposeScope();
            double difference = SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(model), SyntheticSpeech.Snapshot(resumed.Model));
            Assert.IsLessThanOrEqualTo(1e-6, difference, $"killed-and-resumed vs uninterrupted: max |difference| {difference}");
            resumed.Model.Dispose();
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static string[] TempFiles(string folder) => Directory.GetFiles(folder, ".*.tmp");

    private static ConcurrentQueue<string> Collect(Process process)
    {
        var lines = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lines;
    }

    private static string WaitForLine(Process process, ConcurrentQueue<string> lines, string prefix)
    {
        string? found = null;
        WaitUntil(process, lines, () => (found = lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is not null, $"a line '{prefix}...'");
        return found!;
    }

    private static void WaitUntil(Process process, ConcurrentQueue<string> lines, Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited) Assert.Fail($"the child exited ({process.ExitCode}) before {what}:\n{string.Join('\n', lines)}");
            if (clock.Elapsed > ChildTimeout)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"no {what} within {ChildTimeout}:\n{string.Join('\n', lines)}");
            }
            Thread.Sleep(2);
        }
    }
}
