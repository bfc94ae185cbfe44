namespace MlNetTts.Training;

/// <summary>
/// The reference's learning-rate schedule (train.py <c>adjust_learning_rate</c>): the rate is divided
/// in steps once the epoch reaches each anneal step. With factor 0.3 the reference alternates
/// x0.3 and x(1/3) so that every second step is an exact power of ten: 1, 0.3, 0.1, 0.03, ...
/// </summary>
public sealed class AnnealingSchedule
{
    public AnnealingSchedule(double baseLearningRate, IReadOnlyList<int>? annealSteps = null, double annealFactor = 0.1)
    {
        if (!(baseLearningRate > 0) || double.IsInfinity(baseLearningRate))
            throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, "The learning rate must be a positive number.");
        if (!(annealFactor > 0) || annealFactor > 1)
            throw new ArgumentOutOfRangeException(nameof(annealFactor), annealFactor, "The anneal factor must be in (0, 1].");
        BaseLearningRate = baseLearningRate;
        AnnealSteps = annealSteps?.ToArray() ?? [];
        AnnealFactor = annealFactor;
    }

    public double BaseLearningRate { get; }

    public IReadOnlyList<int> AnnealSteps { get; }

    public double AnnealFactor { get; }

    /// <summary>The learning rate for <paramref name="epoch"/> (0-based, as the reference counts).</summary>
    public double LearningRateAt(int epoch)
    {
        int passed = AnnealSteps.Count(step => epoch >= step);
        // The reference compares the float factor with 0.3 exactly; so do we.
        return AnnealFactor == 0.3
            ? BaseLearningRate * Math.Pow(0.1, passed / 2) * (passed % 2 == 0 ? 1.0 : 0.3)
            : BaseLearningRate * Math.Pow(AnnealFactor, passed);
    }
}
