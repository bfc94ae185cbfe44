namespace MlNetTts.Training;

/// <summary>What a <see cref="TrainingProgress"/> report is about.</summary>
public enum TrainingEventKind
{
    /// <summary>One optimizer step (taken or skipped).</summary>
    Step,

    /// <summary>An epoch ended; validation figures are set when there is a validation set.</summary>
    EpochEnd,

    /// <summary>A checkpoint was written (<see cref="TrainingProgress.CheckpointPath"/>).</summary>
    Checkpoint,
}
