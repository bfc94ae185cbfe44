using System.Diagnostics;
using MlNetTts.Data;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

[TestClass]
public sealed class Tacotron2TrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    private static Tacotron2TrainingOptions Small(string? output = null, int epochs = 4) => new()
    {
        Epochs = epochs,
        BatchSize = 4,
        OutputDirectory = output,
        EpochsPerCheckpoint = 2,
        AnnealSteps = [1, 3],
        TensorBoard = output is not null,
    };

    private string NewFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "mlnettts-training-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        TestContext.WriteLine(path);
        return path;
    }

    [TestMethod]
    public void ResumingFromAnEpochCheckpointEqualsTheUninterruptedRun()
    {
        var train = SyntheticSpeech.Create(10, seed: 1);
        var validation = SyntheticSpeech.Create(3, seed: 2);
        var folder = NewFolder();
        try
        {
            using var straightModel = SyntheticSpeech.NewModel();
            using (var straight = new Tacotron2Trainer(straightModel, Small()))
                straight.Fit(train, validation);

            using var firstModel = SyntheticSpeech.NewModel();
            string checkpoint;
            using (var first = new Tacotron2Trainer(firstModel, Small(folder, epochs: 2)))
                checkpoint = first.Fit(train, validation).LastCheckpoint!;
            Assert.AreEqual(Path.Combine(folder, "checkpoint_Tacotron2_1.safetensors"), checkpoint);

            using var resumed = Tacotron2Trainer.Resume(checkpoint, Small(folder));
            Assert.AreEqual(2, resumed.CompletedEpochs);
            var result = resumed.Fit(train, validation);

            Assert.AreEqual(4, result.EpochsCompleted);
            Assert.AreEqual(8, result.Iterations);
            using var scope = NewDisposeScope();
            double difference = SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(straightModel), SyntheticSpeech.Snapshot(resumed.Model));
            Assert.IsLessThanOrEqualTo(1e-6, difference, $"max |difference| {difference}");
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ResumingFromACancelledRunMidEpochEqualsTheUninterruptedRun()
    {
        var train = SyntheticSpeech.Create(12, seed: 3);
        var folder = NewFolder();
        try
        {
            using var straightModel = SyntheticSpeech.NewModel();
            using (var straight = new Tacotron2Trainer(straightModel, Small(epochs: 2)))
                straight.Fit(train);

            using var cancelledModel = SyntheticSpeech.NewModel();
            using var cancel = new CancellationTokenSource();
            TrainingResult stopped;
            using (var cancelled = new Tacotron2Trainer(cancelledModel, Small(folder, epochs: 2)))
                stopped = cancelled.Fit(train, progress: new SyncProgress(p => { if (p.Kind == TrainingEventKind.Step && p.Iteration == 4) cancel.Cancel(); }), cancellationToken: cancel.Token);
            Assert.IsTrue(stopped.Cancelled);
            Assert.AreEqual(4, stopped.Iterations, "stopped between steps, after the 4th (epoch 1, batch 0)");
            StringAssert.EndsWith(stopped.LastCheckpoint, "checkpoint_Tacotron2_cancelled.safetensors");

            using var resumed = Tacotron2Trainer.Resume(stopped.LastCheckpoint!);
            var result = resumed.Fit(train);
            Assert.AreEqual(6, result.Iterations);
            using var scope = NewDisposeScope();
            double difference = SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(straightModel), SyntheticSpeech.Snapshot(resumed.Model));
            Assert.IsLessThanOrEqualTo(1e-6, difference, $"max |difference| {difference}");
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AnInfiniteGradientSkipsTheStepAndLeavesWeightsUntouched()
    {
        var train = SyntheticSpeech.Create(12, seed: 4);
        using var model = SyntheticSpeech.NewModel();
        using var trainer = new Tacotron2Trainer(model, Small(epochs: 1));
        trainer.AfterBackward = (iteration, parameters) =>
        {
            if (iteration == 1) parameters[3].grad![0] = float.PositiveInfinity; // as an fp16 overflow would
        };
        var snapshots = new List<Dictionary<string, Tensor>>();
        var reports = new List<TrainingProgress>();
        var result = trainer.Fit(train, progress: new SyncProgress(p =>
        {
            if (p.Kind != TrainingEventKind.Step) return;
            reports.Add(p);
            snapshots.Add(SyntheticSpeech.Snapshot(model));
        }));

        Assert.AreEqual(1, result.SkippedSteps);
        Assert.IsFalse(reports[0].StepSkipped);
        Assert.IsTrue(reports[1].StepSkipped);
        Assert.IsNull(reports[1].GradientNorm);
        Assert.AreEqual(1, reports[1].SkippedSteps);
        Assert.AreEqual(0, SyntheticSpeech.MaxDifference(snapshots[0], snapshots[1]), "the skipped step changed no weight");
        Assert.IsGreaterThan(0, SyntheticSpeech.MaxDifference(snapshots[1], snapshots[2]), "the next step trains again");
        Assert.IsTrue(snapshots.All(s => s.Values.All(t => t.isfinite().all().item<bool>())));
        foreach (var t in snapshots.SelectMany(s => s.Values)) t.Dispose();
    }

    [TestMethod]
    public void ASkippedStepLeavesBatchNormRunningStatisticsUntouched()
    {
        var train = SyntheticSpeech.Create(12, seed: 4);
        using var model = SyntheticSpeech.NewModel();
        using var trainer = new Tacotron2Trainer(model, Small(epochs: 1));
        trainer.AfterBackward = (iteration, parameters) =>
        {
            if (iteration == 1) parameters[3].grad![0] = float.NaN;
        };
        var buffers = new List<Dictionary<string, Tensor>>();
        trainer.Fit(train, progress: new SyncProgress(p =>
        {
            if (p.Kind == TrainingEventKind.Step)
                buffers.Add(model.named_buffers().ToDictionary(b => b.name, b => b.buffer.detach().clone().to(ScalarType.Float64)));
        }));

        // Unlike the reference, whose skipped forward pass still moves them (a non-finite batch poisons them for good).
        Assert.IsNotEmpty(buffers[0]);
        Assert.AreEqual(0, SyntheticSpeech.MaxDifference(buffers[0], buffers[1]), "the skipped step changed no BatchNorm statistic");
        Assert.IsGreaterThan(0, SyntheticSpeech.MaxDifference(buffers[1], buffers[2]), "the next step updates them again");
        foreach (var t in buffers.SelectMany(s => s.Values)) t.Dispose();
    }

    [TestMethod]
    public void RepeatedOverflowStopsWithAClearErrorAndIntactWeights()
    {
        var train = SyntheticSpeech.Create(12, seed: 4);
        using var model = SyntheticSpeech.NewModel();
        using var scope = NewDisposeScope();
        var before = SyntheticSpeech.Snapshot(model);
        var options = Small(epochs: 1) with { LossScaler = new LossScalerOptions { InitialScale = 1024, MaxConsecutiveOverflows = 3 } };
        using var trainer = new Tacotron2Trainer(model, options);
        trainer.AfterBackward = (_, parameters) => parameters[0].grad![0] = float.NaN;

        var e = Assert.ThrowsExactly<LossScaleCollapsedException>(() => trainer.Fit(train));

        StringAssert.Contains(e.Message, "3 consecutive steps");
        Assert.AreEqual(128, trainer.LossScaler.Scale, "backed off 1024 -> 512 -> 256 -> 128");
        Assert.AreEqual(0, SyntheticSpeech.MaxDifference(before, SyntheticSpeech.Snapshot(model)));
    }

    [TestMethod]
    public void AnInterruptedCheckpointWriteNeverReplacesTheLastGoodOne()
    {
        var train = SyntheticSpeech.Create(8, seed: 5);
        var folder = NewFolder();
        try
        {
            using var model = SyntheticSpeech.NewModel();
            using var trainer = new Tacotron2Trainer(model, Small(epochs: 1));
            var path = Path.Combine(folder, "last.safetensors");
            trainer.SaveCheckpoint(path);
            var good = File.ReadAllBytes(path);
            trainer.Fit(train);

            TrainingCheckpoint.WriteInterceptor = s => new FailingStream(s, failAfterBytes: good.Length / 2);
            try
            {
                Assert.ThrowsExactly<IOException>(() => trainer.SaveCheckpoint(path));
            }
            finally
            {
                TrainingCheckpoint.WriteInterceptor = null;
            }

            CollectionAssert.AreEqual(good, File.ReadAllBytes(path));
            Assert.HasCount(1, Directory.GetFiles(folder), "no temporary file left behind");
            using var resumed = Tacotron2Trainer.Resume(path);
            Assert.AreEqual(0, resumed.Iteration);
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void FitReportsProgressWritesCheckpointsAndTensorBoardEvents()
    {
        var train = SyntheticSpeech.Create(8, seed: 6);
        var validation = SyntheticSpeech.Create(2, seed: 7);
        var folder = NewFolder();
        try
        {
            using var model = SyntheticSpeech.NewModel();
            using var trainer = new Tacotron2Trainer(model, Small(folder, epochs: 3) with { GuidedAttentionWeight = 2 });
            var reports = new List<TrainingProgress>();
            var result = trainer.Fit(train, validation, new SyncProgress(reports.Add));

            var steps = reports.Where(r => r.Kind == TrainingEventKind.Step).ToList();
            Assert.HasCount(6, steps);
            Assert.IsTrue(steps.All(s => s.ItemsPerSecond > 0 && double.IsFinite(s.Loss) && s.LossScale == 1));
            CollectionAssert.AreEquivalent(new[] { "mel", "postnet", "gate", "guided_attention" }, steps[0].LossComponents.Keys.ToArray());
            // Annealing at epochs 1 and 3 by 0.1: epoch 0 at 1e-3, epochs 1-2 at 1e-4.
            CollectionAssert.AreEqual(new[] { 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4 }, steps.Select(s => Math.Round(s.LearningRate, 12)).ToArray());
            var epochs = reports.Where(r => r.Kind == TrainingEventKind.EpochEnd).ToList();
            Assert.HasCount(3, epochs);
            Assert.IsTrue(epochs.All(e => e.ValidationLoss is > 0 && e.AttentionDiagonality is >= 0 and <= 1));
            var checkpoints = reports.Where(r => r.Kind == TrainingEventKind.Checkpoint).Select(r => Path.GetFileName(r.CheckpointPath)).ToArray();
            CollectionAssert.AreEqual(new[] { "checkpoint_Tacotron2_0.safetensors", "checkpoint_Tacotron2_2.safetensors" }, checkpoints);
            Assert.IsTrue(TrainingCheckpoint.IsTrainingCheckpoint(result.LastCheckpoint!));
            Assert.AreEqual("Tacotron2", TrainingCheckpoint.ModelKind(result.LastCheckpoint!));
            var events = Directory.GetFiles(Path.Combine(folder, "tensorboard"), "events.out.tfevents.*");
            Assert.HasCount(1, events);
            Assert.IsGreaterThan(1000, new FileInfo(events[0]).Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void WarmStartsFromAnNvidiaCheckpointAndFromOurOwn()
    {
        var fixtures = ReferenceFixtures.Current;
        using var nvidia = Tacotron2Trainer.LoadModel(fixtures.PathOf("tacotron2_ckpt_zip.pt"));
        var config = nvidia.Config;
        var data = new TextMelDataset(config.MelChannels);
        var random = new Random(1);
        for (int i = 0; i < 4; i++)
            data.Add(Enumerable.Range(0, 6).Select(_ => random.Next(1, config.SymbolCount)).ToArray(),
                Enumerable.Range(0, config.MelChannels * 12).Select(_ => (float)(random.NextDouble() * -8)).ToArray(), MelLayout.FramesMajor);
        var folder = NewFolder();
        try
        {
            using var trainer = new Tacotron2Trainer(nvidia, new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 4, OutputDirectory = folder, TensorBoard = false });
            var result = trainer.Fit(data);
            Assert.AreEqual(1, result.Iterations);
            Assert.AreEqual(0, result.SkippedSteps);

            using var ours = Tacotron2Trainer.LoadModel(result.LastCheckpoint!);
            Assert.AreEqual(config, ours.Config);
            using var scope = NewDisposeScope();
            Assert.AreEqual(0, SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(nvidia), SyntheticSpeech.Snapshot(ours)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void MemoryStaysFlatOverHundredsOfSteps()
    {
        var train = SyntheticSpeech.Create(4, seed: 8, minSymbols: 3, maxSymbols: 4);
        using var model = SyntheticSpeech.NewModel();
        using var trainer = new Tacotron2Trainer(model, new Tacotron2TrainingOptions { Epochs = 300, BatchSize = 2, AnnealSteps = [] });
        long atWarm = 0, peak = 0;
        using var process = Process.GetCurrentProcess();
        trainer.Fit(train, progress: new SyncProgress(p =>
        {
            if (p.Kind != TrainingEventKind.Step || p.Iteration % 50 != 0) return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            process.Refresh();
            if (p.Iteration == 100) atWarm = process.WorkingSet64;
            if (p.Iteration > 100) peak = Math.Max(peak, process.WorkingSet64);
        }));
        double growthMiB = (peak - atWarm) / 1048576.0;
        TestContext.WriteLine($"RSS at step 100: {atWarm / 1048576.0:F0} MiB; growth to step 600: {growthMiB:F1} MiB");
        Assert.IsLessThan(24, growthMiB, "500 more steps must not keep tensors alive");
    }

    [TestMethod]
    public void ASmallModelLearnsQuickly()
    {
        // Smoke version of a learning test: 90 steps of a tiny model on generated speech halve the validation loss.
        var train = SyntheticSpeech.Create(24, seed: 10);
        var validation = SyntheticSpeech.Create(8, seed: 11);
        using var model = SyntheticSpeech.NewModel();
        var (before, _) = SyntheticSpeech.Evaluate(model, validation);
        using var trainer = new Tacotron2Trainer(model, new Tacotron2TrainingOptions { Epochs = 30, BatchSize = 8, AnnealSteps = [] });
        var result = trainer.Fit(train, validation);
        var (after, _) = SyntheticSpeech.Evaluate(model, validation);
        TestContext.WriteLine($"validation loss {before:F3} -> {after:F3} (trainer's own: {result.ValidationLoss:F3})");
        Assert.IsTrue(double.IsFinite(after), $"validation loss {before} -> {after}");
        Assert.IsLessThan(before / 2, after, $"validation loss {before} -> {after}");
    }

    [TestMethod]
    public void ScheduledSamplingFeedsWholeDecoderStepsOfTheModelsOwnTeacherForcedPrediction()
    {
        const int r = 2;
        var data = SyntheticSpeech.Create(16, seed: 9);
        using var model = new Tacotron2Model(SyntheticSpeech.TinyConfig with { FramesPerStep = r }) { PrenetDropout = false };
        model.eval(); // deterministic passes: the first pass's prediction can be recomputed here
        using var scope = NewDisposeScope();
        var batch = TextMelCollate.Collate(data, Enumerable.Range(0, 16).ToArray(), r);
        Tensor prediction;
        using (no_grad())
            prediction = model.Forward(batch.TextPadded, batch.InputLengths, batch.MelPadded, batch.OutputLengths).MelOutputs;

        var none = Tacotron2Trainer.ScheduledSamplingInputs(model, batch, 0, r);
        Assert.IsTrue(none.equal(batch.MelPadded).all().item<bool>(), "rate 0: the recorded frames");
        var all = Tacotron2Trainer.ScheduledSamplingInputs(model, batch, 1, r);
        Assert.IsTrue(all.allclose(prediction, rtol: 0, atol: 1e-6), "rate 1: the model's prediction everywhere");
        Assert.IsFalse(all.allclose(batch.MelPadded, rtol: 0, atol: 1e-3), "the prediction differs from the recording");

        manual_seed(5);
        var half = Tacotron2Trainer.ScheduledSamplingInputs(model, batch, 0.5, r);
        long steps = half.shape[2] / r;
        var fromPrediction = (half - prediction).abs().amax(1).le(1e-6).reshape(16, steps, r);  // (item, step, frame)
        var fromRecording = (half - batch.MelPadded).abs().amax(1).le(1e-6).reshape(16, steps, r);
        // A step's r frames come from one source; frames where the two agree (padding: both 0) count as either.
        var ambiguous = fromPrediction.logical_and(fromRecording);
        Assert.IsTrue(fromPrediction.logical_or(fromRecording).all().item<bool>(), "every frame is the prediction's or the recording's");
        var predictedSteps = fromPrediction.logical_or(ambiguous).all(2);
        var recordedSteps = fromRecording.logical_or(ambiguous).all(2);
        Assert.IsTrue(predictedSteps.logical_or(recordedSteps).all().item<bool>(), "no decoder step mixes the two sources");
        double share = predictedSteps.logical_and(recordedSteps.logical_not()).to(ScalarType.Float32).sum().item<float>()
            / predictedSteps.logical_xor(recordedSteps).to(ScalarType.Float32).sum().item<float>();
        Assert.IsTrue(share is > 0.35 and < 0.65, $"about half the steps are fed the prediction: {share:F2}");
    }

    [TestMethod]
    public void ScheduledSamplingTrainsOnOtherInputsAndItsRateSurvivesResume()
    {
        var train = SyntheticSpeech.Create(8, seed: 11);
        var validation = SyntheticSpeech.Create(4, seed: 12);
        var folder = NewFolder();
        try
        {
            using var forcedModel = SyntheticSpeech.NewModel();
            using var sampledModel = SyntheticSpeech.NewModel();
            TrainingResult forced, sampled;
            using (var trainer = new Tacotron2Trainer(forcedModel, Small(epochs: 1)))
                forced = trainer.Fit(train, validation);
            using (var trainer = new Tacotron2Trainer(sampledModel, Small(folder, epochs: 1) with { ScheduledSampling = 0.5, EpochsPerCheckpoint = 1 }))
                sampled = trainer.Fit(train, validation);
            Assert.IsTrue(double.IsFinite(sampled.LastEpochLoss) && double.IsFinite(sampled.ValidationLoss!.Value));
            Assert.AreNotEqual(forced.LastEpochLoss, sampled.LastEpochLoss, "the sampled run trained on other inputs");

            using var resumed = Tacotron2Trainer.Resume(sampled.LastCheckpoint!);
            Assert.AreEqual(0.5, resumed.Options.ScheduledSampling);
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AnL1RunTrainsOtherWeightsButValidatesWithTheReferenceLossAndKeepsItsLossOnResume()
    {
        var train = SyntheticSpeech.Create(8, seed: 11);
        var validation = SyntheticSpeech.Create(4, seed: 12);
        var folder = NewFolder();
        try
        {
            using var mseModel = SyntheticSpeech.NewModel();
            using var l1Model = SyntheticSpeech.NewModel();
            TrainingResult mse, l1;
            using (var trainer = new Tacotron2Trainer(mseModel, Small(epochs: 1)))
                mse = trainer.Fit(train, validation);
            using (var trainer = new Tacotron2Trainer(l1Model, Small(folder, epochs: 1) with { MelLoss = MelLoss.L1, EpochsPerCheckpoint = 1 }))
                l1 = trainer.Fit(train, validation);
            Assert.AreNotEqual(mse.LastEpochLoss, l1.LastEpochLoss, "the L1 run scored its steps differently");

            // Validation is the reference's loss of the trained weights: recompute it by hand for the L1 run, with the
            // prenet dropout the trainer's validation draws (its own seed).
            double expected;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                l1Model.eval();
                manual_seed(Small().Seed ^ 0x5EED);
                var batch = MlNetTts.Data.TextMelCollate.Collate(validation, Enumerable.Range(0, validation.Count).ToList(), l1Model.Config.FramesPerStep);
                var output = l1Model.Forward(batch.TextPadded, batch.InputLengths, batch.MelPadded, batch.OutputLengths);
                expected = Tacotron2Loss.Compute(output, batch.MelPadded, batch.GatePadded).Total.item<float>();
            }
            Assert.AreEqual(expected, l1.ValidationLoss!.Value, 1e-4, "validation reports MSE + MSE + gate");

            using var resumed = Tacotron2Trainer.Resume(l1.LastCheckpoint!);
            Assert.AreEqual(MelLoss.L1, resumed.Options.MelLoss);
            resumed.Model.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AScheduledSamplingRateOutsideZeroToOneIsRejectedByName()
    {
        foreach (double rate in new[] { -0.1, 1.5, double.NaN })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => new Tacotron2TrainingOptions { ScheduledSampling = rate }.Validate());
            StringAssert.Contains(e.Message, "ScheduledSampling");
        }
    }
}
