using MlNetTts.Nn;

namespace MlNetTts.Training;

/// <summary>
/// Settings shared by <see cref="Tacotron2Trainer"/> and <see cref="WaveGlowTrainer"/>: the reference
/// <c>train.py</c>'s arguments. Each model's options record gives the defaults of NVIDIA's training scripts.
/// </summary>
public abstract record TrainingOptions
{
    /// <summary>Epochs to train (<c>--epochs</c>); a resumed run continues up to this many.</summary>
    public int Epochs { get; init; }

    /// <summary>Items per batch (<c>-bs</c>).</summary>
    public int BatchSize { get; init; }

    /// <summary>Adam's base learning rate (<c>-lr</c>), annealed by <see cref="AnnealSteps"/>.</summary>
    public double LearningRate { get; init; }

    /// <summary>Epochs at which the rate is annealed (<c>--anneal-steps</c>).</summary>
    public IReadOnlyList<int> AnnealSteps { get; init; } = [];

    /// <summary>Anneal factor (<c>--anneal-factor</c>, 0.1 or 0.3; see <see cref="AnnealingSchedule"/>).</summary>
    public double AnnealFactor { get; init; } = 0.1;

    /// <summary>Adam's L2 weight decay (<c>--weight-decay</c>).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Clip gradients to this global L2 norm after unscaling (<c>--grad-clip-thresh</c>); null: no clipping.</summary>
    public double? GradientClipThreshold { get; init; }

    /// <summary>Adam's beta1 (PyTorch's default).</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>Adam's beta2 (PyTorch's default; TorchSharp's factory would give 0.99).</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>Adam's epsilon (PyTorch's default).</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Float32 (the reference without <c>--amp-run</c>) or Mixed: bf16 on CPU, fp16 on CUDA, fp32 master weights.</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>
    /// Loss scaling; null chooses: dynamic (GradScaler defaults) for Mixed on CUDA (fp16), otherwise
    /// <see cref="LossScalerOptions.FixedUnitScale"/> (bf16 and float32 need no scaling; non-finite steps are still skipped).
    /// </summary>
    public LossScalerOptions? LossScaler { get; init; }

    /// <summary>Seed of the data order, segment draws and torch's generator (<c>--seed</c>).</summary>
    public long Seed { get; init; } = 1234;

    /// <summary>Checkpoint after epoch e when e % this == 0 (<c>--epochs-per-checkpoint</c>), and always after the last epoch.</summary>
    public int EpochsPerCheckpoint { get; init; } = 50;

    /// <summary>Folder for checkpoints and TensorBoard event files; null writes nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Write TensorBoard event files to <see cref="OutputDirectory"/>.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>When cancelled between steps, write a checkpoint of the position reached before returning.</summary>
    public bool CheckpointOnCancel { get; init; } = true;

    /// <summary>
    /// Length bucketing: batches per window sorted by length before batching (see <see cref="Data.BatchPlanner"/>);
    /// 0 or 1 gives the plain shuffled batches.
    /// </summary>
    public int BucketBatches { get; init; } = 32;

    /// <summary>
    /// Data parallelism inside this process: the devices of the model replicas, comma-separated ("cuda:0,cuda:1",
    /// "cpu,cpu"); the first must be the model's own device. Each batch is split into contiguous shares, one per replica,
    /// the gradients summed into the model's, one optimizer step, weights copied back (see docs/data-parallel.md).
    /// Null: every visible GPU when the model is on a GPU, otherwise the model's device alone (no data parallelism).
    /// </summary>
    public string? Devices { get; init; }

    /// <summary>
    /// Run the replicas' forward/backward passes on concurrent threads; null chooses: concurrent when any replica is on
    /// a GPU, one after another when all are on the CPU (libtorch's CPU kernels already use every core, so CPU replicas
    /// only compete for them; see docs/data-parallel.md for the measurement).
    /// </summary>
    public bool? ConcurrentReplicas { get; init; }

    /// <summary>Throws naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        static void Require(bool ok, string name, object? value, string expected)
        {
            if (!ok) throw new ArgumentException($"Training option {name} = {value}: {expected}.", name);
        }
        Require(Epochs > 0, nameof(Epochs), Epochs, "must be positive");
        Require(BatchSize > 0, nameof(BatchSize), BatchSize, "must be positive");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        Require(AnnealFactor > 0 && AnnealFactor <= 1, nameof(AnnealFactor), AnnealFactor, "must be in (0, 1]");
        Require(AnnealSteps is not null && AnnealSteps.All(s => s >= 0), nameof(AnnealSteps), AnnealSteps is null ? "null" : string.Join(" ", AnnealSteps), "must be epochs >= 0");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be >= 0");
        Require(GradientClipThreshold is null || GradientClipThreshold > 0, nameof(GradientClipThreshold), GradientClipThreshold, "must be positive or null (no clipping)");
        Require(AdamBeta1 is >= 0 and < 1, nameof(AdamBeta1), AdamBeta1, "must be in [0, 1)");
        Require(AdamBeta2 is >= 0 and < 1, nameof(AdamBeta2), AdamBeta2, "must be in [0, 1)");
        Require(AdamEpsilon >= 0, nameof(AdamEpsilon), AdamEpsilon, "must be >= 0");
        Require(EpochsPerCheckpoint > 0, nameof(EpochsPerCheckpoint), EpochsPerCheckpoint, "must be positive");
        Require(BucketBatches >= 0, nameof(BucketBatches), BucketBatches, "must be >= 0");
        Require(Enum.IsDefined(Precision), nameof(Precision), Precision, "unknown precision");
        if (Devices is not null)
        {
            int replicas = DeviceList.Parse(Devices).Count;
            Require(BatchSize >= replicas, nameof(BatchSize), BatchSize, $"must be at least the {replicas} data-parallel replicas of {nameof(Devices)}");
        }
        LossScaler?.Validate();
    }
}
