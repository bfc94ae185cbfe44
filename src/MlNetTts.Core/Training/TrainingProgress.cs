namespace MlNetTts.Training;

/// <summary>A training report, as the reference's DLLogger lines: step, epoch end, checkpoint.</summary>
public sealed record TrainingProgress
{
    public TrainingEventKind Kind { get; init; }

    /// <summary>Epoch (0-based, as the reference counts).</summary>
    public int Epoch { get; init; }

    /// <summary>Optimizer steps attempted since the start of the run (skipped ones included), after this event.</summary>
    public long Iteration { get; init; }

    /// <summary>Batch within the epoch (0-based) and batches in the epoch.</summary>
    public int Batch { get; init; }

    public int BatchesInEpoch { get; init; }

    /// <summary>Training loss of the step (Step) or mean over the epoch's steps (EpochEnd).</summary>
    public double Loss { get; init; }

    /// <summary>Terms of the loss by name (Tacotron 2: mel, postnet, gate, and guided_attention when on).</summary>
    public IReadOnlyDictionary<string, double> LossComponents { get; init; } = new Dictionary<string, double>();

    /// <summary>Items per second (Tacotron 2: mel frames/s; WaveGlow: audio samples/s), as the reference's <c>train_iter_items/sec</c>.</summary>
    public double ItemsPerSecond { get; init; }

    public double LearningRate { get; init; }

    /// <summary>Loss scale after the step.</summary>
    public double LossScale { get; init; }

    /// <summary>Whether this step was skipped (non-finite loss or gradients).</summary>
    public bool StepSkipped { get; init; }

    /// <summary>Skipped steps since the start of the run.</summary>
    public long SkippedSteps { get; init; }

    /// <summary>Global gradient L2 norm after unscaling, before clipping (null when skipped).</summary>
    public double? GradientNorm { get; init; }

    /// <summary>Validation loss (EpochEnd with a validation set).</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Tacotron 2: <see cref="AttentionDiagonality"/> over the validation set (EpochEnd).</summary>
    public double? AttentionDiagonality { get; init; }

    /// <summary>The checkpoint written (Checkpoint).</summary>
    public string? CheckpointPath { get; init; }
}
