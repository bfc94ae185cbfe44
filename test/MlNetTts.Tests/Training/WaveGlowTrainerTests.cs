using MlNetTts.Training;
using MlNetTts.WaveGlow;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

// Single-threaded: the resume test compares parameters bit for bit, and this was only verified at one thread
// for WaveGlow (Tacotron 2 was re-verified at two after the conv1d fix, see Conv1dFreedMemoryTests).
[TestClass]
public sealed class WaveGlowTrainerTests() : PinnedTorchThreadsTests(1)
{
    public TestContext TestContext { get; set; } = null!;

    private static WaveGlowTrainingOptions Small(int epochs, string? output = null) => new()
    {
        Epochs = epochs,
        BatchSize = 2,
        SegmentLength = 1024,
        Mel = SyntheticAudio.TinyMel,
        LearningRate = 1e-3,
        OutputDirectory = output,
        EpochsPerCheckpoint = 2,
        AnnealSteps = [1, 3],
        TensorBoard = false,
    };

    private static WaveGlowModel NewModel(long seed = 42)
    {
        manual_seed(seed);
        return new WaveGlowModel(SyntheticAudio.TinyWaveGlow, weightNorm: true);
    }

    private string NewFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "mlnettts-waveglow-training-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        TestContext.WriteLine(path);
        return path;
    }

    [TestMethod]
    public void LossGoesDownOnTinyDataInAFewDozenSteps()
    {
        var train = SyntheticAudio.Dataset(4, 3000, seed: 1);
        var validation = SyntheticAudio.Dataset(2, 3000, seed: 2);
        using var model = NewModel();
        using var trainer = new WaveGlowTrainer(model, Small(epochs: 20) with { AnnealSteps = [] });
        var epochs = new List<TrainingProgress>();
        var result = trainer.Fit(train, validation, new SyncProgress(p => { if (p.Kind == TrainingEventKind.EpochEnd) epochs.Add(p); }));

        Assert.AreEqual(40, result.Iterations);
        Assert.AreEqual(0, result.SkippedSteps);
        double first = epochs[0].ValidationLoss!.Value, last = epochs[^1].ValidationLoss!.Value;
        TestContext.WriteLine($"validation loss {first:F4} -> {last:F4}; train loss {epochs[0].Loss:F4} -> {epochs[^1].Loss:F4}");
        // The flow's negative log-likelihood per sample (it goes negative as the model fits): 40 steps must win at least 0.5 nats.
        Assert.IsLessThan(first - 0.5, last, $"validation loss {first} -> {last}");
        Assert.IsLessThan(epochs[0].Loss, epochs[^1].Loss, "training loss too");
    }

    [TestMethod]
    public void AnInfiniteGradientSkipsTheStepAndLeavesWeightsUntouched()
    {
        var train = SyntheticAudio.Dataset(6, 3000, seed: 3);
        using var model = NewModel();
        using var trainer = new WaveGlowTrainer(model, Small(epochs: 1));
        trainer.AfterBackward = (iteration, parameters) =>
        {
            if (iteration == 1) parameters[2].grad![0] = float.PositiveInfinity; // as an fp16 overflow would
        };
        var snapshots = new List<Dictionary<string, Tensor>>();
        var reports = new List<TrainingProgress>();
        var result = trainer.Fit(train, progress: new SyncProgress(p =>
        {
            if (p.Kind != TrainingEventKind.Step) return;
            reports.Add(p);
            snapshots.Add(SyntheticSpeech.Snapshot(model));
        }));

        Assert.HasCount(3, reports);
        Assert.AreEqual(1, result.SkippedSteps);
        Assert.IsFalse(reports[0].StepSkipped);
        Assert.IsTrue(reports[1].StepSkipped);
        Assert.IsNull(reports[1].GradientNorm);
        Assert.AreEqual(0, SyntheticSpeech.MaxDifference(snapshots[0], snapshots[1]), "the skipped step changed no weight");
        Assert.IsGreaterThan(0, SyntheticSpeech.MaxDifference(snapshots[1], snapshots[2]), "the next step trains again");
        Assert.IsTrue(snapshots.All(s => s.Values.All(t => t.isfinite().all().item<bool>())));
        foreach (var t in snapshots.SelectMany(s => s.Values)) t.Dispose();
    }

    [TestMethod]
    public void ResumingFromAnEpochCheckpointEqualsTheUninterruptedRun()
    {
        var train = SyntheticAudio.Dataset(6, 3000, seed: 4);
        var validation = SyntheticAudio.Dataset(2, 3000, seed: 5);
        var folder = NewFolder();
        try
        {
            using var straightModel = NewModel();
            using (var straight = new WaveGlowTrainer(straightModel, Small(epochs: 4)))
                straight.Fit(train, validation);

            using var firstModel = NewModel();
            string checkpoint;
            using (var first = new WaveGlowTrainer(firstModel, Small(epochs: 2, folder)))
                checkpoint = first.Fit(train, validation).LastCheckpoint!;
            Assert.AreEqual(Path.Combine(folder, "checkpoint_WaveGlow_1.safetensors"), checkpoint);

            using var resumed = WaveGlowTrainer.Resume(checkpoint, Small(epochs: 4, folder));
            Assert.AreEqual(2, resumed.CompletedEpochs);
            var result = resumed.Fit(train, validation);

            Assert.AreEqual(4, result.EpochsCompleted);
            Assert.AreEqual(12, result.Iterations);
            using var scope = NewDisposeScope();
            double difference = SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(straightModel), SyntheticSpeech.Snapshot(resumed.Model));
            TestContext.WriteLine($"max |difference| {difference}");
            Assert.IsLessThanOrEqualTo(1e-6, difference, $"max |difference| {difference}");
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
