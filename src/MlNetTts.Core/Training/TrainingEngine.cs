using System.Diagnostics;
using MlNetTts.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// The reference <c>train.py</c> loop shared by both trainers: per epoch the annealed learning rate, per step
/// zero_grad -> forward -> loss -> (scaled) backward -> unscale and finiteness check -> clip by global norm ->
/// Adam step, a non-finite step skipped and reported instead of reaching the weights or BatchNorm statistics; validation and
/// checkpoints per epoch; cancellation between steps. One dispose scope per step keeps memory flat. With several
/// <see cref="TrainingOptions.Devices"/> the forward/backward runs on data-parallel replicas (<see cref="ReplicaGroup"/>).
/// </summary>
internal sealed class TrainingEngine : IDisposable
{
    private readonly nn.Module _model;
    private readonly TrainingOptions _options;
    private readonly List<Parameter> _parameters;
    private readonly AnnealingSchedule _schedule;

    public TrainingEngine(nn.Module model, TrainingOptions options)
    {
        _model = model;
        _options = options;
        _parameters = model.parameters().Where(p => p.requires_grad).ToList();
        if (_parameters.Count == 0) throw new ArgumentException("The model has no trainable parameters.", nameof(model));
        Device = _parameters[0].device;
        Devices = DeviceList.Resolve(options.Devices, Device);
        Optimizer = new Adam(_parameters, options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay);
        Scaler = new DynamicLossScaler(options.LossScaler ?? DefaultScaler(options.Precision, Device));
        _schedule = new AnnealingSchedule(options.LearningRate, options.AnnealSteps, options.AnnealFactor);
    }

    public Device Device { get; }

    /// <summary>The data-parallel replicas' devices; replica 0 (the model itself) is on <see cref="Device"/>.</summary>
    public IReadOnlyList<Device> Devices { get; }

    /// <summary>The replicas of the running Fit (null outside Fit).</summary>
    private ReplicaGroup? _replicas;

    /// <summary>Test hook: runs on each replica's thread before its forward pass (e.g. to throw, or to switch dropout off).</summary>
    internal Action<int, nn.Module>? BeforeReplicaForward { get; set; }

    public Adam Optimizer { get; }

    public DynamicLossScaler Scaler { get; }

    public int NextEpoch { get; set; }

    public int NextBatch { get; set; }

    public long Iteration { get; set; }

    public double? LastValidationLoss { get; set; }

    /// <summary>Whether the generator state was restored from a checkpoint (so Fit must not reseed).</summary>
    public bool Resumed { get; set; }

    /// <summary>Test hook: runs after backward, before the finiteness check (e.g. to inject an infinite gradient).</summary>
    internal Action<long, IReadOnlyList<Parameter>>? AfterBackward { get; set; }

    internal static LossScalerOptions DefaultScaler(Precision precision, Device device) =>
        precision == Precision.Mixed && device.ReducedType() == ScalarType.Float16 ? new LossScalerOptions() : LossScalerOptions.FixedUnitScale;

    public TrainingResult Fit(ITrainingTask task, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // Every step allocates and frees the same large activation and gradient tensors: keep freed memory in the
        // process rather than faulting fresh pages in each step (NativeHeap explains the cost on these VMs).
        MlNetTts.Nn.NativeHeap.RetainFreedMemory();
        if (!Resumed)
        {
            manual_seed(_options.Seed);
            Resumed = true; // a second Fit call continues; it must not reseed
        }
        using var replicas = _replicas = new ReplicaGroup(_model, Devices, task.CreateReplica, _options.ConcurrentReplicas ?? Devices.Any(d => d.type != TorchSharp.DeviceType.CPU));
        replicas.BeforeForward = BeforeReplicaForward;
        using var board = _options.OutputDirectory is not null && _options.TensorBoard
            ? new TensorBoardWriter(Path.Combine(_options.OutputDirectory, "tensorboard")) : null;
        string? lastCheckpoint = null;
        double lastEpochLoss = double.NaN;
        double? diagonality = null;

        for (int epoch = NextEpoch; epoch < _options.Epochs; epoch++)
        {
            var batches = task.PlanEpoch(epoch);
            if (batches.Length == 0)
                throw new ArgumentException($"The training set gives no batch of {_options.BatchSize} items (the last incomplete batch is dropped, as the reference does); lower BatchSize.");
            double lr = _schedule.LearningRateAt(epoch);
            foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
            double lossSum = 0;
            int lossCount = 0;
            var epochWatch = Stopwatch.StartNew();

            for (int b = NextBatch; b < batches.Length; b++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    NextEpoch = epoch;
                    NextBatch = b;
                    if (_options.CheckpointOnCancel && _options.OutputDirectory is not null)
                        lastCheckpoint = WriteCheckpoint(task, progress, epoch, b, $"checkpoint_{task.ModelKind}_cancelled.safetensors");
                    return Result(true, lastCheckpoint, lastEpochLoss, diagonality);
                }
                var step = Step(task, batches[b], epoch);
                Iteration++;
                if (!step.Skipped)
                {
                    lossSum += step.Loss;
                    lossCount++;
                }
                board?.AddScalar("train/loss", step.Loss, Iteration);
                board?.AddScalar("train/items_per_sec", step.ItemsPerSecond, Iteration);
                board?.AddScalar("train/learning_rate", lr, Iteration);
                board?.AddScalar("train/loss_scale", Scaler.Scale, Iteration);
                if (step.GradientNorm is double g) board?.AddScalar("train/grad_norm", g, Iteration);
                foreach (var (name, value) in step.Components) board?.AddScalar("train/" + name, value, Iteration);
                progress?.Report(new TrainingProgress
                {
                    Kind = TrainingEventKind.Step, Epoch = epoch, Iteration = Iteration, Batch = b, BatchesInEpoch = batches.Length,
                    Loss = step.Loss, LossComponents = step.Components, ItemsPerSecond = step.ItemsPerSecond, LearningRate = lr,
                    LossScale = Scaler.Scale, StepSkipped = step.Skipped, SkippedSteps = Scaler.SkippedSteps, GradientNorm = step.GradientNorm,
                });
            }

            NextEpoch = epoch + 1;
            NextBatch = 0;
            lastEpochLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
            var validation = ValidateKeepingRng(task, epoch, board);
            LastValidationLoss = validation?.Loss;
            diagonality = validation?.Diagonality;
            board?.AddScalar("epoch/train_loss", lastEpochLoss, epoch);
            if (validation is { } v)
            {
                board?.AddScalar("epoch/validation_loss", v.Loss, epoch);
                if (v.Diagonality is double d) board?.AddScalar("epoch/attention_diagonality", d, epoch);
            }
            progress?.Report(new TrainingProgress
            {
                Kind = TrainingEventKind.EpochEnd, Epoch = epoch, Iteration = Iteration, Batch = batches.Length, BatchesInEpoch = batches.Length,
                Loss = lastEpochLoss, LearningRate = lr, LossScale = Scaler.Scale, SkippedSteps = Scaler.SkippedSteps,
                ItemsPerSecond = 0, ValidationLoss = validation?.Loss, AttentionDiagonality = validation?.Diagonality,
            });
            bool last = epoch == _options.Epochs - 1;
            if (_options.OutputDirectory is not null && (epoch % _options.EpochsPerCheckpoint == 0 || last))
                lastCheckpoint = WriteCheckpoint(task, progress, epoch + 1, 0, $"checkpoint_{task.ModelKind}_{epoch}.safetensors");
        }
        return Result(false, lastCheckpoint, lastEpochLoss, diagonality);
    }

    private TrainingResult Result(bool cancelled, string? checkpoint, double epochLoss, double? diagonality) => new()
    {
        EpochsCompleted = NextEpoch, Iterations = Iteration, SkippedSteps = Scaler.SkippedSteps, LastEpochLoss = epochLoss,
        ValidationLoss = LastValidationLoss, AttentionDiagonality = diagonality, Cancelled = cancelled, LastCheckpoint = checkpoint,
    };

    /// <summary>Writes the run's state (model, Adam, loss scaler, position, RNG, config, options) to <paramref name="path"/>, atomically.</summary>
    public void SaveCheckpoint(ITrainingTask task, string path, int nextEpoch, int nextBatch) =>
        TrainingCheckpoint.Write(path, task.ModelKind, _model, task.ConfigJson, task.OptionsJson,
            new CheckpointProgress(nextEpoch, nextBatch, Iteration, Scaler.GetState(), LastValidationLoss), Optimizer);

    private string WriteCheckpoint(ITrainingTask task, IProgress<TrainingProgress>? progress, int nextEpoch, int nextBatch, string name)
    {
        var path = Path.Combine(_options.OutputDirectory!, name);
        SaveCheckpoint(task, path, nextEpoch, nextBatch);
        progress?.Report(new TrainingProgress
        {
            Kind = TrainingEventKind.Checkpoint, Epoch = nextEpoch - (nextBatch == 0 ? 1 : 0), Iteration = Iteration,
            LossScale = Scaler.Scale, SkippedSteps = Scaler.SkippedSteps, CheckpointPath = path,
        });
        return path;
    }

    /// <summary>
    /// Validation runs with its own fixed seed (the prenet's dropout is always on), and torch's generator is put back
    /// afterwards, so validation figures are comparable across epochs and training draws the same random numbers
    /// whether or not there is a validation set.
    /// </summary>
    private (double Loss, double? Diagonality)? ValidateKeepingRng(ITrainingTask task, int epoch, TensorBoardWriter? board)
    {
        using var saved = get_rng_state();
        try
        {
            manual_seed(_options.Seed ^ 0x5EED);
            bool wasTraining = _model.training;
            _model.eval();
            try
            {
                using var noGrad = no_grad();
                return task.Validate(epoch, board, Iteration);
            }
            finally
            {
                if (wasTraining) _model.train();
            }
        }
        finally
        {
            set_rng_state(saved);
        }
    }

    private StepOutcome Step(ITrainingTask task, int[] items, int epoch)
    {
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        Optimizer.zero_grad();
        // The forward pass moves BatchNorm's running statistics; a skipped step must not reach the model at all
        // (the reference keeps them, and one non-finite batch then poisons every later evaluation), so keep a copy.
        var replicas = _replicas!;
        var savedBuffers = replicas.SaveBuffers();
        ReplicaPass pass;
        try
        {
            pass = replicas.ForwardBackward(task, items, epoch, Scaler, Iteration);
        }
        catch
        {
            replicas.RestoreBuffers(savedBuffers);
            replicas.Broadcast();
            throw;
        }
        double lossValue = pass.Loss;
        var components = pass.Components;
        bool finite = pass.Finite;
        double? norm = null;
        if (finite)
        {
            AfterBackward?.Invoke(Iteration, _parameters);
            finite = Scaler.UnscaleGradients(_parameters);
        }
        if (finite)
        {
            norm = ClipGradients();
            Optimizer.step();
        }
        else
        {
            replicas.RestoreBuffers(savedBuffers);
        }
        replicas.Broadcast();
        var update = Scaler.Update(finite); // throws LossScaleCollapsedException after too many overflows in a row
        watch.Stop();
        return new StepOutcome(lossValue, components, update.Skipped, norm, pass.Items / Math.Max(watch.Elapsed.TotalSeconds, 1e-9));
    }

    /// <summary>PyTorch 1.x <c>clip_grad_norm_</c>: total = ||(||g_i||_2)_i||_2, scale by max/(total + 1e-6) when below 1. Returns the total.</summary>
    private double ClipGradients()
    {
        using var scope = NewDisposeScope();
        var grads = _parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        double total = stack(grads.Select(g => g.norm()).ToArray()).norm().item<float>();
        if (_options.GradientClipThreshold is double max)
        {
            double coefficient = max / (total + 1e-6);
            if (coefficient < 1)
                foreach (var g in grads) g.mul_(coefficient);
        }
        return total;
    }

    public void Dispose() => Optimizer.Dispose();

    private sealed record StepOutcome(double Loss, IReadOnlyDictionary<string, double> Components, bool Skipped, double? GradientNorm, double ItemsPerSecond);
}
