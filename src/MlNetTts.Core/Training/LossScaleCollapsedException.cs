namespace MlNetTts.Training;

/// <summary>
/// Thrown when gradients overflowed on too many consecutive steps: continuing would drive the loss
/// scale towards zero and train on garbage. The weights are those of the last good step.
/// </summary>
public sealed class LossScaleCollapsedException : Exception
{
    public LossScaleCollapsedException(string message)
        : base(message)
    {
    }
}
