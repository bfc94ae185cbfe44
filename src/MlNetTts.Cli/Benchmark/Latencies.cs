namespace MlNetTts.Cli.Benchmark;

/// <summary>Summary statistics of measured latencies.</summary>
internal static class Latencies
{
    /// <summary>Nearest-rank percentile (<paramref name="percent"/> in (0, 100]) of <paramref name="values"/>.</summary>
    public static double Percentile(IReadOnlyList<double> values, double percent)
    {
        if (values.Count == 0) throw new ArgumentException("no values.", nameof(values));
        var sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <summary>Population standard deviation (numpy's default, as NVIDIA's scripts).</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }
}
