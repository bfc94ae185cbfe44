namespace MlNetTts.Training;

/// <summary>Where a run stands, as a checkpoint records it.</summary>
internal sealed record CheckpointProgress(int NextEpoch, int NextBatch, long Iteration, LossScalerState LossScaler, double? ValidationLoss);
