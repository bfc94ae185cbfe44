using System.Diagnostics;

namespace MlNetTts.Benchmarks.Harness;

/// <summary>Wall-clock timing with warm-up; reports the median and the minimum (the machine is shared and noisy).</summary>
public static class Timing
{
    public static (double MedianMs, double MinMs) Measure(Action action, int warmup, int repetitions)
    {
        for (int i = 0; i < warmup; i++) action();
        var samples = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            samples[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(samples);
        return (samples[repetitions / 2], samples[0]);
    }
}
