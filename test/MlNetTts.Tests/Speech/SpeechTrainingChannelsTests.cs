using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetTts.Speech;
using MlNetTts.Tests.Training;
using MlNetTts.Training;
using MlNetTts.WaveGlow;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Speech;

/// <summary>
/// Training Fit speaks ML.NET's own channels: its progress channel (what ML.NET's console host prints and any host can
/// poll through the environment's progress tracker) and <c>MLContext.CancelExecution()</c>, which stops the run between
/// steps just as the options' cancellation token does.
/// </summary>
// Single-threaded: cancelled and uncancelled runs are compared step for step.
[TestClass]
public sealed class SpeechTrainingChannelsTests() : PinnedTorchThreadsTests(1)
{
    public TestContext TestContext { get; set; } = null!;

    private static string NewFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "mlnettts-training-channels-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    [TestMethod]
    public void TextToMelTrainingReportsOnTheMlNetProgressChannel()
    {
        var ml = new MLContext(seed: 1);
        // The MLContext's environment keeps every progress channel's events; ML.NET's console host polls it the same way.
        var tracker = ml._env.ProgressTracker;
        var events = new List<ProgressReporting.ProgressEvent>();
        var steps = new List<TrainingProgress>();
        var epochs = new List<TrainingProgress>();
        var pulledAtStep = new Dictionary<ProgressReporting.ProgressEvent, TrainingProgress>();
        ml.Transforms.TextToMel(new TextToMelOptions
        {
            Training = new Tacotron2TrainingOptions { Epochs = 2, BatchSize = 2, AnnealSteps = [] },
            Config = SpeechTrainingTests.TinyTacotron2,
            TrainingProgress = new SyncProgress(p =>
            {
                if (p.Kind == TrainingEventKind.EpochEnd) epochs.Add(p);
                if (p.Kind != TrainingEventKind.Step) return;
                steps.Add(p);
                foreach (var e in tracker.GetAllProgress())
                {
                    events.Add(e);
                    if (e.Kind == ProgressReporting.ProgressEvent.EventKind.Progress && !e.ProgressEntry.IsCheckpoint) pulledAtStep[e] = p;
                }
            }),
        }).Fit(ml.Data.LoadFromEnumerable(SpeechTrainingTests.TextMelRows(4, seed: 1)));
        events.AddRange(tracker.GetAllProgress());

        var ours = events.Where(e => e.Name == "TextToMel training").ToList();
        Assert.HasCount(4, steps, "2 epochs of 4 rows in batches of 2");
        Assert.AreEqual(ProgressReporting.ProgressEvent.EventKind.Start, ours[0].Kind);
        Assert.AreEqual(ProgressReporting.ProgressEvent.EventKind.Stop, ours[^1].Kind);

        var checkpoints = ours.Where(e => e.ProgressEntry is { IsCheckpoint: true }).Select(e => e.ProgressEntry).ToList();
        Assert.HasCount(2, checkpoints, "one checkpoint per epoch");
        var header = checkpoints[0].Header;
        var metrics = header.MetricNames.ToList();
        CollectionAssert.AreEqual(TrainingChannels.MetricNames, metrics);
        CollectionAssert.AreEqual(new[] { "epoch", "batch" }, header.UnitNames.ToList());
        int loss = metrics.IndexOf("loss"), rate = metrics.IndexOf("learning rate");
        for (int i = 0; i < 2; i++)
        {
            Assert.AreEqual(epochs[i].Loss, checkpoints[i].Metrics[loss], $"epoch {i}'s mean loss");
            Assert.AreEqual(i + 1.0, checkpoints[i].Progress[0], "epochs done");
            Assert.AreEqual(2.0, checkpoints[i].ProgressLim[0], "of the run's epochs");
        }

        // Between checkpoints ML.NET pulls the current figures: the last step's.
        Assert.IsNotEmpty(pulledAtStep, "progress pulled while training");
        foreach (var (pulled, step) in pulledAtStep)
        {
            Assert.AreEqual(step.Loss, pulled.ProgressEntry.Metrics[loss]);
            Assert.AreEqual(1e-3, pulled.ProgressEntry.Metrics[rate]);
            Assert.IsGreaterThan(0, pulled.ProgressEntry.Metrics[metrics.IndexOf("items/s")]!.Value);
            Assert.AreEqual(step.Batch + 1.0, pulled.ProgressEntry.Progress[1]);
        }
    }

    /// <summary>Runs a TextToMel training Fit that <paramref name="cancel"/> cancels from another thread after its first step.</summary>
    private static (OperationCanceledException Error, int Steps, string Folder) CancelTextToMelAfterOneStep(MLContext ml, CancellationToken token, Action cancel)
    {
        var folder = NewFolder();
        using var firstStep = new ManualResetEventSlim();
        using var cancelled = new ManualResetEventSlim();
        var canceller = Task.Run(() =>
        {
            firstStep.Wait();
            cancel();
            cancelled.Set();
        });
        int steps = 0;
        var estimator = ml.Transforms.TextToMel(new TextToMelOptions
        {
            Training = new Tacotron2TrainingOptions { Epochs = 50, BatchSize = 2, AnnealSteps = [], OutputDirectory = folder, TensorBoard = false },
            Config = SpeechTrainingTests.TinyTacotron2,
            TrainingCancellation = token,
            TrainingProgress = new SyncProgress(p =>
            {
                if (p.Kind != TrainingEventKind.Step) return;
                if (++steps == 1)
                {
                    firstStep.Set();
                    if (!cancelled.Wait(TimeSpan.FromMinutes(1))) throw new TimeoutException("the other thread never cancelled");
                }
            }),
        });
        var error = Assert.ThrowsExactly<OperationCanceledException>(() => estimator.Fit(ml.Data.LoadFromEnumerable(SpeechTrainingTests.TextMelRows(8, seed: 1))));
        canceller.Wait();
        return (error, steps, folder);
    }

    [TestMethod]
    public void MlContextCancelExecutionStopsTextToMelTrainingBetweenStepsAsTheOptionsTokenDoes()
    {
        var ml = new MLContext(seed: 1);
        var (byContext, contextSteps, contextFolder) = CancelTextToMelAfterOneStep(ml, CancellationToken.None, ml.CancelExecution);
        using var source = new CancellationTokenSource();
        var (byToken, tokenSteps, tokenFolder) = CancelTextToMelAfterOneStep(new MLContext(seed: 1), source.Token, source.Cancel);
        try
        {
            TestContext.WriteLine(byContext.Message);
            Assert.AreEqual(1, contextSteps, "the step after the cancellation never ran");
            Assert.AreEqual(tokenSteps, contextSteps);
            var checkpoint = Path.Combine(contextFolder, "checkpoint_Tacotron2_cancelled.safetensors");
            Assert.IsTrue(File.Exists(checkpoint), "the cancelled position is checkpointed, as with the options' token");
            Assert.IsTrue(File.Exists(Path.Combine(tokenFolder, "checkpoint_Tacotron2_cancelled.safetensors")));
            Assert.AreEqual(byToken.Message.Replace(tokenFolder, "FOLDER", StringComparison.Ordinal), byContext.Message.Replace(contextFolder, "FOLDER", StringComparison.Ordinal));
            StringAssert.Contains(byContext.Message, checkpoint);
        }
        finally
        {
            Directory.Delete(contextFolder, recursive: true);
            Directory.Delete(tokenFolder, recursive: true);
        }
    }

    [TestMethod]
    public void MlContextCancelledBeforeMelToAudioFitTrainsNoStep()
    {
        var ml = new MLContext(seed: 1);
        ml.CancelExecution();
        int steps = 0;
        var estimator = ml.Transforms.MelToAudio(new MelToAudioOptions
        {
            Training = new WaveGlowTrainingOptions { Epochs = 5, BatchSize = 2, SegmentLength = 1024, Mel = SyntheticAudio.TinyMel },
            Config = SyntheticAudio.TinyWaveGlow,
            TrainingProgress = new SyncProgress(p => { if (p.Kind == TrainingEventKind.Step) steps++; }),
        });
        var audio = ml.Data.LoadFromEnumerable(SyntheticAudio.Chirps(4, 3000, seed: 1).Select(a => new SpeechTrainingTests.AudioOnlyRow { Audio = a }));
        var error = Assert.ThrowsExactly<OperationCanceledException>(() => estimator.Fit(audio));
        StringAssert.Contains(error.Message, "after 0 steps");
        Assert.AreEqual(0, steps);
    }
}
