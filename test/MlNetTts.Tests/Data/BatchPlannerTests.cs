using MlNetTts.Data;

namespace MlNetTts.Tests.Data;

[TestClass]
public sealed class BatchPlannerTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 103).Select(i => 50 + (i * 37 % 101) * 4).ToArray();

    [TestMethod]
    public void AnEpochsBatchesDependOnlyOnSeedAndEpoch()
    {
        var a = BatchPlanner.Training(Lengths, 8, seed: 7, epoch: 3, bucketBatches: 4);
        var b = BatchPlanner.Training(Lengths, 8, seed: 7, epoch: 3, bucketBatches: 4);
        var c = BatchPlanner.Training(Lengths, 8, seed: 7, epoch: 4, bucketBatches: 4);

        Assert.IsTrue(a.Zip(b).All(p => p.First.SequenceEqual(p.Second)));
        Assert.IsFalse(a.Zip(c).All(p => p.First.SequenceEqual(p.Second)), "a new epoch reshuffles");
    }

    [TestMethod]
    public void EveryItemIsUsedAtMostOnceAndOnlyTheIncompleteBatchIsDropped()
    {
        foreach (int bucket in new[] { 0, 4 })
        {
            var batches = BatchPlanner.Training(Lengths, 8, seed: 1, epoch: 0, bucketBatches: bucket);
            Assert.HasCount(103 / 8, batches);
            Assert.IsTrue(batches.All(x => x.Length == 8));
            var used = batches.SelectMany(x => x).ToArray();
            Assert.HasCount(used.Length, used.Distinct().ToArray());
        }
        Assert.HasCount(13, BatchPlanner.Training(Lengths, 8, 1, 0, 0, dropLast: false));
    }

    [TestMethod]
    public void BucketingCutsPadding()
    {
        static long Padding(int[][] batches) => batches.Sum(x => x.Length * (long)x.Max(i => Lengths[i]) - x.Sum(i => (long)Lengths[i]));
        long plain = Padding(BatchPlanner.Training(Lengths, 8, 1, 0, bucketBatches: 0));
        long bucketed = Padding(BatchPlanner.Training(Lengths, 8, 1, 0, bucketBatches: 8));
        Assert.IsLessThan(plain / 3, bucketed, $"padding {bucketed} frames bucketed vs {plain} plain");
    }

    [TestMethod]
    public void SequentialBatchesKeepDatasetOrder()
    {
        var batches = BatchPlanner.Sequential(10, 4);
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).ToArray(), batches.SelectMany(x => x).ToArray());
        Assert.HasCount(2, batches[^1]);
    }
}
