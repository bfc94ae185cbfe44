namespace MlNetTts.Training;

/// <summary>Serializable state of a <see cref="DynamicLossScaler"/>.</summary>
public sealed record LossScalerState(double Scale, int CleanSteps, int ConsecutiveOverflows, long SkippedSteps);
