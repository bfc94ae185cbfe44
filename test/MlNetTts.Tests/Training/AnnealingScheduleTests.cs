using MlNetTts.Training;

namespace MlNetTts.Tests.Training;

[TestClass]
public sealed class AnnealingScheduleTests
{
    [TestMethod]
    public void FactorPointThreeAlternatesToExactPowersOfTen()
    {
        // The reference's special case: 1e-3, 3e-4, 1e-4, 3e-5 at anneal steps 500, 1000, 1500.
        var schedule = new AnnealingSchedule(1e-3, [500, 1000, 1500], 0.3);
        Assert.AreEqual(1e-3, schedule.LearningRateAt(0), 1e-15);
        Assert.AreEqual(1e-3, schedule.LearningRateAt(499), 1e-15);
        Assert.AreEqual(3e-4, schedule.LearningRateAt(500), 1e-15);
        Assert.AreEqual(1e-4, schedule.LearningRateAt(1000), 1e-15);
        Assert.AreEqual(3e-5, schedule.LearningRateAt(1500), 1e-15);
    }

    [TestMethod]
    public void OtherFactorsArePowers()
    {
        var schedule = new AnnealingSchedule(1e-3, [2, 4], 0.5);
        Assert.AreEqual(1e-3, schedule.LearningRateAt(1), 1e-15);
        Assert.AreEqual(5e-4, schedule.LearningRateAt(2), 1e-15);
        Assert.AreEqual(2.5e-4, schedule.LearningRateAt(10), 1e-15);
    }

    [TestMethod]
    public void NoAnnealStepsKeepsTheRate()
    {
        Assert.AreEqual(1e-4, new AnnealingSchedule(1e-4).LearningRateAt(100_000), 0);
    }

    [TestMethod]
    public void NonsenseSettingsAreRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AnnealingSchedule(-1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AnnealingSchedule(1e-3, [1], 2.0));
    }
}
