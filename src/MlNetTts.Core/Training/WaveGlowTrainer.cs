using System.Text.Json;
using MlNetTts.Audio;
using MlNetTts.Data;
using MlNetTts.WaveGlow;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Trains a <see cref="WaveGlowModel"/> (weight-norm form) as NVIDIA's <c>train.py -m WaveGlow</c> does: per item
/// and epoch a random audio segment (<see cref="AudioSegmentSampler"/>) and its mel, the flow's negative
/// log-likelihood (<see cref="WaveGlowLoss"/>), Adam, annealing, mixed precision with loss scaling, validation
/// loss per epoch (fixed segments), atomic checkpoints that <see cref="Resume"/> continues exactly. The trainer
/// never disposes the model; dispose the trainer to free the optimizer state and the mel front end.
/// </summary>
public sealed class WaveGlowTrainer : IDisposable, ITrainingTask
{
    /// <summary>The "epoch" validation segments are drawn for: the same segments every epoch.</summary>
    private const int ValidationEpoch = int.MaxValue;

    private readonly TrainingEngine _engine;
    private readonly MelSpectrogram _mel;
    private readonly WaveGlowLoss _loss;
    private AudioDataset? _train;
    private AudioDataset? _validation;

    /// <summary>A fresh run (or a warm start: pass a model loaded with <see cref="LoadModel"/>).</summary>
    public WaveGlowTrainer(WaveGlowModel model, WaveGlowTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new WaveGlowTrainingOptions();
        Options.Validate();
        if (!model.IsWeightNormed)
            throw new ArgumentException("WaveGlow trains in weight-norm form (as the reference); this model's weight norm was removed. Load it with weightNorm: true.", nameof(model));
        if (Options.Mel.MelChannels != model.Config.NMelChannels)
            throw new ArgumentException($"Options.Mel has {Options.Mel.MelChannels} mel channels; the model expects {model.Config.NMelChannels}.", nameof(options));
        if (Options.Mel.HopLength != model.Config.UpsampleStride)
            throw new ArgumentException($"Options.Mel hop {Options.Mel.HopLength} differs from the model's upsampling stride {model.Config.UpsampleStride}.", nameof(options));
        Model = model;
        _engine = new TrainingEngine(model, Options);
        _mel = new MelSpectrogram(Options.Mel);
        _loss = new WaveGlowLoss(Options.Sigma);
    }

    public WaveGlowModel Model { get; }

    public WaveGlowTrainingOptions Options { get; }

    /// <summary>Epochs completed so far in this run (the next epoch Fit runs).</summary>
    public int CompletedEpochs => _engine.NextEpoch;

    /// <summary>Optimizer steps attempted so far in this run.</summary>
    public long Iteration => _engine.Iteration;

    /// <summary>The loss scaler (its scale and skipped steps).</summary>
    public DynamicLossScaler LossScaler => _engine.Scaler;

    internal TrainingEngine Engine => _engine;

    internal Action<long, IReadOnlyList<Parameter>>? AfterBackward
    {
        get => _engine.AfterBackward;
        set => _engine.AfterBackward = value;
    }

    /// <summary>As <see cref="Tacotron2Trainer.Fit"/>: trains up to <see cref="TrainingOptions.Epochs"/> epochs, stopping between steps on cancellation.</summary>
    public TrainingResult Fit(AudioDataset train, AudioDataset? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        _train = train;
        _validation = validation is { Count: > 0 } ? validation : null;
        Model.Precision = Options.Precision;
        Model.train();
        try
        {
            return _engine.Fit(this, progress, cancellationToken);
        }
        finally
        {
            _train = null;
            _validation = null;
        }
    }

    /// <summary>Writes a checkpoint of the current state to <paramref name="path"/> (atomically).</summary>
    public void SaveCheckpoint(string path) =>
        _engine.SaveCheckpoint(this, path, _engine.NextEpoch, _engine.NextBatch);

    /// <summary>Continues a run from one of our training checkpoints (see <see cref="Tacotron2Trainer.Resume"/>).</summary>
    public static WaveGlowTrainer Resume(string checkpointPath, WaveGlowTrainingOptions? options = null)
    {
        var file = TrainingCheckpoint.Open(checkpointPath);
        if (file.Metadata["model"] != "WaveGlow")
            throw new InvalidDataException($"{checkpointPath} is a {file.Metadata["model"]} checkpoint, not WaveGlow.");
        options ??= JsonSerializer.Deserialize<WaveGlowTrainingOptions>(file.Metadata["options"], TrainingJson.Options)
            ?? throw new InvalidDataException($"{checkpointPath} has empty training options.");
        var model = LoadOurs(file, checkpointPath);
        try
        {
            var trainer = new WaveGlowTrainer(model, options);
            var progress = TrainingCheckpoint.ReadProgress(file, checkpointPath);
            TrainingCheckpoint.RestoreOptimizerAndRng(file, checkpointPath, trainer._engine.Optimizer);
            trainer._engine.Scaler.SetState(progress.LossScaler);
            trainer._engine.NextEpoch = progress.NextEpoch;
            trainer._engine.NextBatch = progress.NextBatch;
            trainer._engine.Iteration = progress.Iteration;
            trainer._engine.LastValidationLoss = progress.ValidationLoss;
            trainer._engine.Resumed = true;
            return trainer;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A weight-norm model to warm-start from: our training checkpoint or an NVIDIA/NGC one.</summary>
    public static WaveGlowModel LoadModel(string checkpointPath) =>
        TrainingCheckpoint.IsTrainingCheckpoint(checkpointPath)
            ? LoadOurs(TrainingCheckpoint.Open(checkpointPath), checkpointPath)
            : WaveGlowModel.FromCheckpoint(checkpointPath, weightNorm: true);

    public void Dispose()
    {
        _engine.Dispose();
        _mel.Dispose();
    }

    private static WaveGlowModel LoadOurs(Checkpoints.SafeTensorsFile file, string path)
    {
        var config = JsonSerializer.Deserialize<WaveGlowConfig>(file.Metadata["config"], TrainingJson.Options)
            ?? throw new InvalidDataException($"{path} has an empty WaveGlow config.");
        var model = new WaveGlowModel(config, weightNorm: true);
        try
        {
            using var scope = NewDisposeScope();
            model.LoadStateDict(TrainingCheckpoint.ReadModelState(file));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    string ITrainingTask.ModelKind => "WaveGlow";

    string ITrainingTask.ConfigJson => JsonSerializer.Serialize(Model.Config, TrainingJson.Options);

    string ITrainingTask.OptionsJson => JsonSerializer.Serialize(Options, TrainingJson.Options);

    int[][] ITrainingTask.PlanEpoch(int epoch)
    {
        // Every item yields a segment of the same length: no padding to bucket away.
        var lengths = new int[_train!.Count];
        return BatchPlanner.Training(lengths, Options.BatchSize, Options.Seed, epoch, bucketBatches: 0, dropLast: true);
    }

    // Segments and mels are drawn per item, so a share samples only its own items.
    StepLoss ITrainingTask.Forward(int[] items, int epoch, BatchShare share) =>
        Loss(_train!, share.IsWholeBatch ? items : items[share.Start..(share.Start + share.Length)], epoch, (WaveGlowModel)share.Model, share.Device);

    nn.Module ITrainingTask.CreateReplica(Device device) =>
        new WaveGlowModel(Model.Config, weightNorm: true, device) { Precision = Model.Precision };

    (double Loss, double? Diagonality)? ITrainingTask.Validate(int epoch, TensorBoardWriter? board, long iteration)
    {
        var data = _validation;
        if (data is null) return null;
        double sum = 0;
        int batches = 0;
        foreach (var items in BatchPlanner.Sequential(data.Count, Options.BatchSize))
        {
            using var scope = NewDisposeScope();
            sum += Loss(data, items, ValidationEpoch, Model, _engine.Device).Total.item<float>();
            batches++;
        }
        return (sum / batches, null);
    }

    private StepLoss Loss(AudioDataset data, IReadOnlyList<int> items, int epoch, WaveGlowModel model, Device device)
    {
        var sampler = new AudioSegmentSampler(data, Options.SegmentLength, Options.Seed);
        var batch = sampler.Sample(items, epoch, _mel);
        var mel = batch.Mel.to(device);
        var audio = batch.Audio.to(device);
        var output = model.call(mel, audio);
        var loss = _loss.Compute(output);
        return new StepLoss(loss, [], batch.TotalSamples);
    }
}
