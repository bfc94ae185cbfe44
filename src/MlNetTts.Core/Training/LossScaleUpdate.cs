namespace MlNetTts.Training;

/// <summary>Outcome of <see cref="DynamicLossScaler.Update"/>.</summary>
public readonly record struct LossScaleUpdate(bool Skipped, double ScaleBefore, double ScaleAfter);
