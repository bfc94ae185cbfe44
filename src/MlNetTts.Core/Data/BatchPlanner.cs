namespace MlNetTts.Data;

/// <summary>
/// Which items make up each batch of an epoch. Training order is a permutation drawn from (seed, epoch) alone,
/// so any epoch's batches can be recomputed on resume without saved random state. With length bucketing,
/// the shuffled items are cut into windows of <c>bucketBatches</c> batches, each window sorted by length and
/// cut into batches (similar lengths share a batch, so padding is small), and the batches are shuffled again.
/// </summary>
public static class BatchPlanner
{
    /// <summary>The batches of training epoch <paramref name="epoch"/> (0-based).</summary>
    /// <param name="lengths">A length per item (e.g. mel frames) that bucketing groups by.</param>
    /// <param name="batchSize">Items per batch.</param>
    /// <param name="seed">Run seed.</param>
    /// <param name="epoch">Epoch index; each epoch gets its own permutation.</param>
    /// <param name="bucketBatches">Batches per sorting window; 0 or 1 turns bucketing off (plain shuffled batches).</param>
    /// <param name="dropLast">Drop a final incomplete batch (the reference's training loader does).</param>
    public static int[][] Training(IReadOnlyList<int> lengths, int batchSize, long seed, int epoch, int bucketBatches, bool dropLast = true)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(bucketBatches);
        var rng = new SplitMix64(seed, stream: 1, substream: epoch);
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        rng.Shuffle(order);
        int usable = dropLast ? order.Length / batchSize * batchSize : order.Length;
        if (usable == 0) return [];
        if (bucketBatches > 1)
        {
            // Sort whole windows only over the items that will be used, so dropLast drops the same items.
            int window = bucketBatches * batchSize;
            for (int start = 0; start < usable; start += window)
            {
                int count = Math.Min(window, usable - start);
                Array.Sort(order, start, count, Comparer<int>.Create((a, b) =>
                {
                    int byLength = lengths[b].CompareTo(lengths[a]);
                    return byLength != 0 ? byLength : a.CompareTo(b);
                }));
            }
        }
        var batches = Chunk(order, usable, batchSize);
        if (bucketBatches > 1) rng.Shuffle(batches);
        return batches;
    }

    /// <summary>Items in dataset order, cut into batches (validation), the last one possibly smaller.</summary>
    public static int[][] Sequential(int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return Chunk(Enumerable.Range(0, count).ToArray(), count, batchSize);
    }

    private static int[][] Chunk(int[] order, int usable, int batchSize)
    {
        var batches = new int[(usable + batchSize - 1) / batchSize][];
        for (int b = 0; b < batches.Length; b++)
            batches[b] = order.AsSpan(b * batchSize, Math.Min(batchSize, usable - b * batchSize)).ToArray();
        return batches;
    }
}
