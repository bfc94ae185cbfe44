using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Training;
using MlNetTts.WaveGlow;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

/// <summary>
/// Data parallelism on CPU replicas. Equivalence runs are deterministic on purpose: Tacotron 2's prenet dropout is
/// off and every replica runs in eval mode (through the engine's BeforeReplicaForward seam), because in training mode
/// its encoder/postnet dropout draws different masks and its BatchNorm layers normalise each replica's share by the
/// share's own statistics (as DDP without SyncBatchNorm), neither of which is equal to one replica on the whole batch.
/// WaveGlow has neither, so it trains in training mode.
/// </summary>
// Single-threaded: the tolerances were measured on exactly repeatable runs.
[TestClass]
public sealed class DataParallelTests() : PinnedTorchThreadsTests(1)
{
    private const int Steps = 4; // 2 epochs of 2 batches
    private static Tacotron2TrainingOptions TacotronOptions(int batch, string? devices, Precision precision, bool concurrent) => new()
    {
        Epochs = Steps / 2,
        BatchSize = batch,
        AnnealSteps = [],
        TensorBoard = false,
        Precision = precision,
        Devices = devices,
        ConcurrentReplicas = concurrent,
        BucketBatches = 0,
    };

    private static Tacotron2Model DeterministicModel()
    {
        var model = SyntheticSpeech.NewModel();
        model.PrenetDropout = false;
        return model;
    }

    /// <summary>A run's final parameters and, per step, the loss and the gradient norm before clipping.</summary>
    private sealed record Run(Dictionary<string, Tensor> Parameters, List<double> Losses, List<double> GradientNorms)
    {
        public static (Run Run, SyncProgress Progress) Recorder(Dictionary<string, Tensor> parameters)
        {
            var run = new Run(parameters, [], []);
            return (run, new SyncProgress(p =>
            {
                if (p.Kind != TrainingEventKind.Step) return;
                run.Losses.Add(p.Loss);
                run.GradientNorms.Add(p.GradientNorm ?? double.NaN);
            }));
        }
    }

    private static Run TrainTacotron(Tacotron2TrainingOptions options, Action<int, nn.Module>? hook = null)
    {
        var data = SyntheticSpeech.Create(2 * options.BatchSize, seed: 5);
        using var model = DeterministicModel();
        using var trainer = new Tacotron2Trainer(model, options);
        trainer.Engine.BeforeReplicaForward = (r, m) =>
        {
            m.eval();
            hook?.Invoke(r, m);
        };
        var (run, progress) = Run.Recorder([]);
        var result = trainer.Fit(data, progress: progress);
        Assert.AreEqual(Steps, result.Iterations);
        Assert.AreEqual(0, result.SkippedSteps);
        return run with { Parameters = SyntheticSpeech.Snapshot(model) };
    }

    /// <summary>
    /// Equal per-step losses and gradient norms (Adam is nearly blind to a gradient's scale, so the norms are what
    /// catches a wrong weighting of the replicas' shares), and final parameters whose difference is a small fraction
    /// of how far training moved them.
    /// </summary>
    private static void AssertEquivalent(string what, Dictionary<string, Tensor> initial, Run single, Run parallel, double statisticsTolerance, double updateTolerance)
    {
        for (int i = 0; i < Steps; i++)
        {
            Assert.AreEqual(single.Losses[i], parallel.Losses[i], statisticsTolerance * Math.Abs(single.Losses[i]), $"{what}: loss of step {i}");
            Assert.AreEqual(single.GradientNorms[i], parallel.GradientNorms[i], statisticsTolerance * single.GradientNorms[i], $"{what}: gradient norm of step {i}");
        }
        double moved = 0, apart = 0, maxApart = 0;
        foreach (var (name, start) in initial)
        {
            using var scope = NewDisposeScope();
            var a = single.Parameters[name].to(ScalarType.Float64);
            var b = parallel.Parameters[name].to(ScalarType.Float64);
            moved += (a - start.to(ScalarType.Float64)).pow(2).sum().item<double>();
            apart += (a - b).pow(2).sum().item<double>();
            maxApart = Math.Max(maxApart, (a - b).abs().max().item<double>());
        }
        double ratio = Math.Sqrt(apart / moved);
        Console.WriteLine($"{what}: ||2 replicas - 1 replica|| / ||1 replica - initial|| = {ratio:g3} (max |difference| {maxApart:g3}); " +
            $"max relative loss/grad-norm difference {Enumerable.Range(0, Steps).Max(i => Math.Max(Math.Abs(single.Losses[i] - parallel.Losses[i]) / Math.Abs(single.Losses[i]), Math.Abs(single.GradientNorms[i] - parallel.GradientNorms[i]) / single.GradientNorms[i])):g3}");
        Assert.IsGreaterThan(0.0, moved, $"{what}: training did not move the weights");
        Assert.IsLessThanOrEqualTo(updateTolerance, ratio, $"{what}: the parameter updates differ by {ratio} of their size");
    }

    // Tolerances: the runs differ only by float reassociation (half-batch GEMMs and a gradient sum instead of one
    // GEMM): measured: fp32 relative differences ~1e-7 in the statistics and ~2e-6 in the updates, bf16 ~6e-4 and ~8e-3, and
    // Adam turns gradient noise on near-zero gradients into whole-lr update differences, hence the update ratio.
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void TwoTacotronReplicasOnHalfBatchesEqualOneReplicaOnTheWholeBatchInFloat32(bool concurrent) =>
        AssertTacotronEquivalent(Precision.Float32, concurrent, statisticsTolerance: 1e-5, updateTolerance: 1e-4);

    [TestMethod]
    public void TwoTacotronReplicasOnHalfBatchesEqualOneReplicaOnTheWholeBatchInMixedPrecision() =>
        AssertTacotronEquivalent(Precision.Mixed, concurrent: false, statisticsTolerance: 5e-3, updateTolerance: 0.05);

    private static void AssertTacotronEquivalent(Precision precision, bool concurrent, double statisticsTolerance, double updateTolerance)
    {
        const int perReplica = 2;
        Dictionary<string, Tensor> initial;
        using (var model = DeterministicModel()) initial = SyntheticSpeech.Snapshot(model);
        var single = TrainTacotron(TacotronOptions(2 * perReplica, null, precision, concurrent));
        double replicaDrift = 0;
        Tacotron2Model? primary = null;
        var parallel = TrainTacotron(TacotronOptions(2 * perReplica, "cpu,cpu", precision, concurrent), (r, m) =>
        {
            if (r == 0) primary = (Tacotron2Model)m;
            else if (!concurrent && primary is not null)
                replicaDrift = Math.Max(replicaDrift, SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(primary), SyntheticSpeech.Snapshot(m)));
        });
        AssertEquivalent($"Tacotron 2 {precision} (concurrent {concurrent})", initial, single, parallel, statisticsTolerance, updateTolerance);
        Assert.AreEqual(0.0, replicaDrift, "replica 1 started a step with weights different from replica 0's");
    }

    private static WaveGlowTrainingOptions WaveGlowOptions(int batch, string? devices, Precision precision) => new()
    {
        Epochs = Steps / 2,
        BatchSize = batch,
        SegmentLength = 1024,
        Mel = SyntheticAudio.TinyMel,
        LearningRate = 1e-3,
        AnnealSteps = [],
        TensorBoard = false,
        Precision = precision,
        Devices = devices,
    };

    [TestMethod]
    [DataRow(Precision.Float32, 1e-5, 1e-4)]
    [DataRow(Precision.Mixed, 5e-3, 0.05)]
    public void TwoWaveGlowReplicasOnHalfBatchesEqualOneReplicaOnTheWholeBatch(Precision precision, double statisticsTolerance, double updateTolerance)
    {
        var data = SyntheticAudio.Dataset(8, 3000, seed: 1);
        Run Train(string? devices)
        {
            manual_seed(42);
            using var model = new WaveGlowModel(SyntheticAudio.TinyWaveGlow, weightNorm: true);
            using var trainer = new WaveGlowTrainer(model, WaveGlowOptions(4, devices, precision));
            var (run, progress) = Run.Recorder([]);
            var result = trainer.Fit(data, progress: progress);
            Assert.AreEqual(Steps, result.Iterations);
            Assert.AreEqual(0, result.SkippedSteps);
            return run with { Parameters = SyntheticSpeech.Snapshot(model) };
        }
        Dictionary<string, Tensor> initial;
        manual_seed(42);
        using (var model = new WaveGlowModel(SyntheticAudio.TinyWaveGlow, weightNorm: true)) initial = SyntheticSpeech.Snapshot(model);
        AssertEquivalent($"WaveGlow {precision}", initial, Train(null), Train("cpu,cpu"), statisticsTolerance, updateTolerance);
    }

    private static Dictionary<string, Tensor> State(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());

    /// <summary>
    /// Serial replicas train in training mode (BatchNorm statistics move in every forward, dropout draws from torch's
    /// generator in a fixed order); concurrent ones draw in a racing order, so they run in eval mode to be repeatable.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AReplicaThatThrowsAbandonsTheStepOnEveryReplicaAndTrainingCanGoOn(bool concurrent)
    {
        var data = SyntheticSpeech.Create(8, seed: 6);
        var options = TacotronOptions(4, "cpu,cpu", Precision.Float32, concurrent);
        Action<int, nn.Module> mode = (_, m) => { if (concurrent) m.eval(); };

        Dictionary<string, Tensor> Train(int epochs)
        {
            using var model = DeterministicModel();
            using var trainer = new Tacotron2Trainer(model, options with { Epochs = epochs });
            trainer.Engine.BeforeReplicaForward = mode;
            trainer.Fit(data);
            return State(model);
        }
        var afterOneEpoch = Train(1);
        var straight = Train(2);

        using var failing = DeterministicModel();
        using var failingTrainer = new Tacotron2Trainer(failing, options);
        const long failAt = 2; // the first step of epoch 1
        failingTrainer.Engine.BeforeReplicaForward = (r, m) =>
        {
            mode(r, m);
            if (r == 1 && failingTrainer.Iteration == failAt) throw new InvalidOperationException("injected failure");
        };
        var error = Assert.ThrowsExactly<ReplicaFailedException>(() => failingTrainer.Fit(data));
        Assert.AreEqual(1, error.Replica);
        Assert.AreEqual("cpu", error.Device, ignoreCase: true);
        Assert.Contains("replica 1", error.Message);
        Assert.Contains("injected failure", error.Message);
        Assert.IsInstanceOfType<InvalidOperationException>(error.InnerException);
        Assert.AreEqual(failAt, failingTrainer.Iteration);
        Assert.AreEqual(0.0, SyntheticSpeech.MaxDifference(afterOneEpoch, State(failing)), "the failed step changed weights or BatchNorm statistics");

        // The run goes on from the failed step; every step starts with replica 1 holding replica 0's weights.
        double drift = 0;
        int checkedSteps = 0;
        failingTrainer.Engine.BeforeReplicaForward = (r, m) =>
        {
            mode(r, m);
            if (r != 1) return;
            drift = Math.Max(drift, SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(failing), SyntheticSpeech.Snapshot(m)));
            checkedSteps++;
        };
        var result = failingTrainer.Fit(data);
        Assert.AreEqual(Steps, result.Iterations);
        Assert.AreEqual(Steps - failAt, checkedSteps);
        Assert.AreEqual(0.0, drift, "replica 1 drifted from replica 0");
        // Without random draws the continued run is the uninterrupted one.
        if (concurrent) Assert.AreEqual(0.0, SyntheticSpeech.MaxDifference(straight, State(failing)), "after the failure the run drifted from the uninterrupted one");
    }

    [TestMethod]
    public void ANonFiniteLossOnOneReplicaSkipsTheStepOnAllOfThem()
    {
        var data = SyntheticSpeech.Create(8, seed: 7);
        using var model = DeterministicModel();
        using var trainer = new Tacotron2Trainer(model, TacotronOptions(4, "cpu,cpu", Precision.Float32, concurrent: false));
        const long poisonAt = 2;
        Dictionary<string, Tensor>? beforePoisonedStep = null, afterPoisonedStep = null;
        double drift = 0;
        trainer.Engine.BeforeReplicaForward = (r, m) =>
        {
            long step = trainer.Iteration;
            if (r == 0 && step == poisonAt) beforePoisonedStep = State(m);
            if (r == 0 && step == poisonAt + 1) afterPoisonedStep = State(m);
            if (r != 1) return;
            if (step > poisonAt) drift = Math.Max(drift, SyntheticSpeech.MaxDifference(SyntheticSpeech.Snapshot(model), SyntheticSpeech.Snapshot(m)));
            if (step == poisonAt)
                using (no_grad())
                    m.parameters().First().fill_(float.NaN); // only replica 1's copy
        };
        var skipped = new List<bool>();
        var result = trainer.Fit(data, progress: new SyncProgress(p => { if (p.Kind == TrainingEventKind.Step) skipped.Add(p.StepSkipped); }));

        Assert.AreEqual(1, result.SkippedSteps);
        CollectionAssert.AreEqual(new[] { false, false, true, false }, skipped);
        Assert.IsNotNull(beforePoisonedStep);
        Assert.IsNotNull(afterPoisonedStep);
        // Replica 0 computed a finite loss, yet neither its weights nor its BatchNorm statistics moved.
        Assert.AreEqual(0.0, SyntheticSpeech.MaxDifference(beforePoisonedStep, afterPoisonedStep));
        Assert.AreEqual(0.0, drift, "replica 1 kept its poisoned weights");
        Assert.IsTrue(double.IsFinite(result.LastEpochLoss));
    }

    [TestMethod]
    public void DevicesAreParsedAndCheckedAgainstTheModelAndTheBatch()
    {
        Assert.HasCount(3, DeviceList.Parse("cpu, cpu,CPU"));
        Assert.AreEqual(1, DeviceList.Parse("cuda:1")[0].index);
        var bad = Assert.ThrowsExactly<ArgumentException>(() => DeviceList.Parse("cpu,gpu0"));
        Assert.Contains("gpu0", bad.Message);
        Assert.AreEqual(nameof(TrainingOptions.Devices), bad.ParamName);

        Assert.HasCount(1, DeviceList.Resolve(null, CPU));
        var notFirst = Assert.ThrowsExactly<ArgumentException>(() => DeviceList.Resolve("cuda:0,cpu", CPU));
        Assert.Contains("replica 0", notFirst.Message);

        var tooSmall = Assert.ThrowsExactly<ArgumentException>(() => new Tacotron2TrainingOptions { BatchSize = 2, Devices = "cpu,cpu,cpu" }.Validate());
        Assert.AreEqual(nameof(TrainingOptions.BatchSize), tooSmall.ParamName);
    }

    [TestMethod]
    public void BatchesSplitIntoContiguousNearEqualShares()
    {
        CollectionAssert.AreEqual(new[] { (0, 3), (3, 2), (5, 2) }, BatchShare.Split(7, 3));
        CollectionAssert.AreEqual(new[] { (0, 2), (2, 2) }, BatchShare.Split(4, 2));
    }
}
