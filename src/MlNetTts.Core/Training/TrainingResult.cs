namespace MlNetTts.Training;

/// <summary>Where a <c>Fit</c> call stopped.</summary>
public sealed record TrainingResult
{
    /// <summary>Epochs completed (the next epoch to run).</summary>
    public int EpochsCompleted { get; init; }

    /// <summary>Optimizer steps attempted in the whole run (skipped ones included).</summary>
    public long Iterations { get; init; }

    public long SkippedSteps { get; init; }

    /// <summary>Mean training loss of the last completed epoch (NaN if none completed in this call).</summary>
    public double LastEpochLoss { get; init; } = double.NaN;

    /// <summary>Validation loss after the last completed epoch, when there is a validation set.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Tacotron 2: attention diagonality on the validation set after the last completed epoch.</summary>
    public double? AttentionDiagonality { get; init; }

    /// <summary>True when cancellation stopped the run before <see cref="TrainingOptions.Epochs"/>.</summary>
    public bool Cancelled { get; init; }

    /// <summary>The last checkpoint written, if any.</summary>
    public string? LastCheckpoint { get; init; }
}
