using System.Text.Json;
using MlNetTts.Checkpoints;
using MlNetTts.Data;
using MlNetTts.Tacotron2;
using MlNetTts.Voices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Trains a <see cref="Tacotron2Model"/> as NVIDIA's <c>train.py -m Tacotron2</c> does (see
/// <see cref="Tacotron2TrainingOptions"/> and <see cref="TrainingEngine"/>): TextMelCollate batches, the reference
/// loss (plus the optional guided-attention term), Adam, clipping, annealing, mixed precision with loss scaling,
/// validation loss and attention diagonality per epoch, atomic checkpoints that <see cref="Resume"/> continues
/// exactly. The trainer never disposes the model; dispose the trainer to free the optimizer state.
/// </summary>
public sealed class Tacotron2Trainer : IDisposable, ITrainingTask
{
    private readonly TrainingEngine _engine;
    private TextMelDataset? _train;
    private TextMelDataset? _validation;

    /// <summary>A fresh run (or a warm start: pass a model loaded with <see cref="LoadModel"/>).</summary>
    public Tacotron2Trainer(Tacotron2Model model, Tacotron2TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new Tacotron2TrainingOptions();
        Options.Validate();
        Model = model;
        _engine = new TrainingEngine(model, Options);
    }

    public Tacotron2Model Model { get; }

    public Tacotron2TrainingOptions Options { get; }

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

    /// <summary>
    /// Trains from where the run stands up to <see cref="TrainingOptions.Epochs"/> epochs. Returns early, between
    /// steps, when <paramref name="cancellationToken"/> is cancelled (with a checkpoint when
    /// <see cref="TrainingOptions.CheckpointOnCancel"/>). Throws <see cref="LossScaleCollapsedException"/> when
    /// gradients overflow on too many consecutive steps (weights are those of the last good step).
    /// </summary>
    public TrainingResult Fit(TextMelDataset train, TextMelDataset? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckDataset(train, nameof(train));
        if (validation is not null)
        {
            CheckDataset(validation, nameof(validation));
            if (validation.Count == 0) validation = null;
        }
        _train = train;
        _validation = validation;
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

    /// <summary>
    /// Continues a run from one of our training checkpoints: model weights, Adam moments, loss scaler, position
    /// (epoch and batch), torch's generator state and the options; <paramref name="options"/> replaces the saved
    /// options when given (e.g. more epochs). The data order is recomputed from the seed, so Fit on the same
    /// data continues exactly where the checkpoint was written.
    /// </summary>
    public static Tacotron2Trainer Resume(string checkpointPath, Tacotron2TrainingOptions? options = null)
    {
        var file = TrainingCheckpoint.Open(checkpointPath);
        if (file.Metadata["model"] != "Tacotron2")
            throw new InvalidDataException($"{checkpointPath} is a {file.Metadata["model"]} checkpoint, not Tacotron2.");
        var config = JsonSerializer.Deserialize<Tacotron2Config>(file.Metadata["config"], TrainingJson.Options)
            ?? throw new InvalidDataException($"{checkpointPath} has an empty Tacotron 2 config.");
        options ??= JsonSerializer.Deserialize<Tacotron2TrainingOptions>(file.Metadata["options"], TrainingJson.Options)
            ?? throw new InvalidDataException($"{checkpointPath} has empty training options.");
        var model = new Tacotron2Model(config);
        try
        {
            using (var scope = NewDisposeScope())
                StateDictLoader.LoadInto(model, TrainingCheckpoint.ReadModelState(file));
            var trainer = new Tacotron2Trainer(model, options);
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

    /// <summary>
    /// A model to warm-start from: our training checkpoint (weights only), a voice folder (<see cref="Voice"/>: its
    /// manifest's architecture and weights, e.g. the bundled default voice) or an NVIDIA/NGC checkpoint
    /// (<see cref="Tacotron2Model.FromCheckpoint"/>). Pass it to the constructor for a fresh optimizer.
    /// </summary>
    public static Tacotron2Model LoadModel(string checkpointPath)
    {
        if (Directory.Exists(checkpointPath)) return Voice.Load(checkpointPath).CreateTacotron2();
        if (!TrainingCheckpoint.IsTrainingCheckpoint(checkpointPath)) return Tacotron2Model.FromCheckpoint(checkpointPath);
        var file = TrainingCheckpoint.Open(checkpointPath);
        var config = JsonSerializer.Deserialize<Tacotron2Config>(file.Metadata["config"], TrainingJson.Options)
            ?? throw new InvalidDataException($"{checkpointPath} has an empty Tacotron 2 config.");
        var model = new Tacotron2Model(config);
        using var scope = NewDisposeScope();
        StateDictLoader.LoadInto(model, TrainingCheckpoint.ReadModelState(file));
        return model;
    }

    public void Dispose() => _engine.Dispose();

    string ITrainingTask.ModelKind => "Tacotron2";

    string ITrainingTask.ConfigJson => JsonSerializer.Serialize(Model.Config, TrainingJson.Options);

    string ITrainingTask.OptionsJson => JsonSerializer.Serialize(Options, TrainingJson.Options);

    int[][] ITrainingTask.PlanEpoch(int epoch)
    {
        var data = _train!;
        var lengths = Enumerable.Range(0, data.Count).Select(data.FrameCount).ToArray();
        return BatchPlanner.Training(lengths, Options.BatchSize, Options.Seed, epoch, Options.BucketBatches, dropLast: true);
    }

    StepLoss ITrainingTask.Forward(int[] items, int epoch, BatchShare share)
    {
        var (loss, _, _) = Loss(_train!, items, share, training: true);
        return loss;
    }

    nn.Module ITrainingTask.CreateReplica(Device device)
    {
        var replica = new Tacotron2Model(Model.Config) { Precision = Model.Precision, PrenetDropout = Model.PrenetDropout };
        if (device.type != DeviceType.CPU) replica.to(device);
        return replica;
    }

    (double Loss, double? Diagonality)? ITrainingTask.Validate(int epoch, TensorBoardWriter? board, long iteration)
    {
        var data = _validation;
        if (data is null) return null;
        double lossSum = 0, diagonalSum = 0;
        int batches = 0;
        foreach (var items in BatchPlanner.Sequential(data.Count, Options.BatchSize))
        {
            using var scope = NewDisposeScope();
            var (loss, batch, alignments) = Loss(data, items);
            lossSum += loss.Total.item<float>();
            diagonalSum += AttentionDiagonality.Score(alignments, batch.InputLengths, batch.OutputLengths, Model.Config.FramesPerStep, Options.DiagonalityBand);
            if (batches == 0 && board is not null) LogAlignment(board, alignments, batch, epoch);
            batches++;
        }
        return (lossSum / batches, diagonalSum / batches);
    }

    /// <summary>
    /// Collate, forward and loss of one batch (on <paramref name="share"/>'s replica: its rows of the whole collated
    /// batch, so every share keeps the whole batch's padding and the shares' weighted losses add up to the batch's);
    /// tensors belong to the caller's dispose scope. In training, <see cref="Tacotron2TrainingOptions.ScheduledSampling"/>
    /// replaces some decoder inputs and <see cref="Tacotron2TrainingOptions.MelLoss"/> scores the mels; validation is
    /// always teacher-forced and scored with the reference's loss, so it stays comparable across runs.
    /// </summary>
    private (StepLoss Loss, TextMelBatch Batch, Tensor Alignments) Loss(TextMelDataset data, IReadOnlyList<int> items, BatchShare? share = null, bool training = false)
    {
        int r = Model.Config.FramesPerStep;
        var model = (Tacotron2Model?)share?.Model ?? Model;
        var device = share?.Device ?? _engine.Device;
        var cpuBatch = TextMelCollate.Collate(data, items, r);
        if (share is { IsWholeBatch: false }) cpuBatch = Rows(cpuBatch, share.Start, share.Length);
        var batch = device.type == TorchSharp.DeviceType.CPU ? cpuBatch : cpuBatch.To(device);
        var decoderInputs = training && Options.ScheduledSampling > 0
            ? ScheduledSamplingInputs(model, batch, Options.ScheduledSampling, r)
            : batch.MelPadded;
        var output = model.Forward(batch.TextPadded, batch.InputLengths, decoderInputs, batch.OutputLengths);
        var terms = Tacotron2Loss.Compute(output, batch.MelPadded, batch.GatePadded, Options.GatePositiveWeight,
            training ? Options.MelLoss : MelLoss.Mse);
        var total = terms.Total;
        var components = new List<(string, Tensor)> { ("mel", terms.MelLoss), ("postnet", terms.PostnetLoss), ("gate", terms.GateLoss) };
        if (Options.GuidedAttentionWeight > 0)
        {
            var guided = GuidedAttentionLoss.Compute(output.Alignments, batch.InputLengths, batch.OutputLengths, r, Options.GuidedAttentionSigma);
            total = total + guided * Options.GuidedAttentionWeight;
            components.Add(("guided_attention", guided));
        }
        return (new StepLoss(total, components, batch.TotalFrames), batch, output.Alignments);
    }

    /// <summary>
    /// The batch's mel with each decoder step's group of r frames replaced, with probability <paramref name="rate"/>,
    /// by the model's own prediction of that group from a teacher-forced pass without gradients. The decoder reads
    /// group g as the input of step g + 1, so a replaced group feeds the next step what the model would have fed it.
    /// </summary>
    internal static Tensor ScheduledSamplingInputs(Tacotron2Model model, TextMelBatch batch, double rate, int r)
    {
        var recorded = batch.MelPadded;
        Tensor predicted;
        using (no_grad())
        {
            using var first = model.Forward(batch.TextPadded, batch.InputLengths, recorded, batch.OutputLengths);
            predicted = first.MelOutputs.to(recorded.dtype).detach();
        }
        long items = recorded.shape[0], steps = recorded.shape[2] / r;
        var own = (rand([items, 1, steps], device: recorded.device) < rate).repeat_interleave(r, 2);
        return where(own, predicted, recorded);
    }

    private static TextMelBatch Rows(TextMelBatch batch, int start, int length)
    {
        var outputLengths = batch.OutputLengths.narrow(0, start, length);
        return new TextMelBatch(batch.TextPadded.narrow(0, start, length), batch.InputLengths.narrow(0, start, length),
            batch.MelPadded.narrow(0, start, length), batch.GatePadded.narrow(0, start, length), outputLengths,
            batch.Items.Skip(start).Take(length).ToArray(), outputLengths.sum().item<long>());
    }

    private static void LogAlignment(TensorBoardWriter board, Tensor alignments, TextMelBatch batch, int epoch)
    {
        // Row 0 of the batch: encoder steps up the image (origin lower, as the reference's plots), decoder steps across.
        long n = batch.InputLengths[0].item<long>();
        using var image = alignments[0].narrow(1, 0, n).transpose(0, 1).flip(0).contiguous().to(ScalarType.Float32).cpu();
        board.AddImage("validation/alignment", image.data<float>().ToArray(), (int)image.shape[0], (int)image.shape[1], epoch);
    }

    private void CheckDataset(TextMelDataset data, string name)
    {
        if (data.MelChannels != Model.Config.MelChannels)
            throw new ArgumentException($"The {name} set has {data.MelChannels}-channel mels; the model expects {Model.Config.MelChannels}.", name);
        for (int i = 0; i < data.Count; i++)
            foreach (int id in data.Text(i))
                if (id >= Model.Config.SymbolCount)
                    throw new ArgumentException($"The {name} set's item {i} has symbol id {id}, outside the model's {Model.Config.SymbolCount} symbols.", name);
    }
}
