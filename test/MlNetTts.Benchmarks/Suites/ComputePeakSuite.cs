using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// The compute ceiling for work that is bound by arithmetic rather than memory (WaveGlow inference, ~1,047 GFLOP for a
/// 200-frame mel): float32 fused multiply-adds per second from 12 independent 16-lane chains on 1 thread and on 2
/// threads at once, libtorch's float32 GEMM (1024 x 1024) and a WaveGlow-shaped 1x1 conv1d (oneDNN), and the least
/// time a WaveGlow 256 inference of 200 frames could take at each.
/// </summary>
public sealed class ComputePeakSuite : IBenchmarkSuite
{
    private const long ChainsPerLoop = 12, Lanes = 16;

    public string Name => "compute-peak";

    public string Description => "fp32 FMA peak (1 and 2 threads), libtorch GEMM and 1x1 conv GFLOP/s, WaveGlow's compute floor";

    public ResultTable Run(bool quick)
    {
        var table = new ResultTable("Float32 compute ceiling (GFLOP/s) and the WaveGlow 256 inference floor it implies (200 frames)",
            "what", "threads", "GFLOP/s", "WaveGlow floor ms", "floor samples/s");
        double waveGlowFlop = WaveGlowFlop();
        void Row(string what, int threads, double gflops) =>
            table.Add(what, threads, gflops, waveGlowFlop / (gflops * 1e9) * 1000, 51200 / (waveGlowFlop / (gflops * 1e9)));

        long iterations = quick ? 50_000_000 : 200_000_000;
        Fma(1_000_000);
        Row("FMA chains (C# Vector512)", 1, Best(quick, () => Time(1, iterations)));
        Row("FMA chains (C# Vector512), two threads at once", 2, Best(quick, () => Time(2, iterations)));

        using var scope = NewDisposeScope();
        manual_seed(1);
        var a = randn(1024, 1024);
        var b = randn(1024, 1024);
        Row("libtorch matmul 1024 x 1024 x 1024", get_num_threads(), Gflops(2.0 * 1024 * 1024 * 1024, () => a.matmul(b).Dispose(), quick));
        var x = randn(1, 768, 6400);
        var w = randn(512, 768, 1);
        Row("libtorch conv1d k=1, 768 -> 512 over 6400 steps (a WN in_layer)", get_num_threads(), Gflops(2.0 * 512 * 768 * 6400, () => nn.functional.conv1d(x, w).Dispose(), quick));
        if (MlNetTts.Nn.PointwiseGemm.IsSupported)
        {
            foreach (long k in new long[] { 768, 640, 256 })
            {
                var xk = randn(1, k, 6400);
                var wk = randn(512, k, 1);
                var packed = MlNetTts.Nn.PointwiseGemm.Pack(wk);
                double error = (MlNetTts.Nn.PointwiseGemm.Multiply(xk, packed, null, get_num_threads()) - nn.functional.conv1d(xk, wk)).abs().max().item<float>();
                if (error > 1e-2) throw new InvalidOperationException($"PointwiseGemm differs from conv1d by {error}.");
                Row($"PointwiseGemm, {k} -> 512 over 6400 steps", get_num_threads(), Gflops(2.0 * 512 * k * 6400, () => MlNetTts.Nn.PointwiseGemm.Multiply(xk, packed, null, get_num_threads()).Dispose(), quick));
                Row($"libtorch conv1d k=1, {k} -> 512 over 6400 steps", get_num_threads(), Gflops(2.0 * 512 * k * 6400, () => nn.functional.conv1d(xk, wk).Dispose(), quick));
            }
        }
        return table;
    }

    /// <summary>Multiply-adds of one WaveGlow 256 inference on a 200-frame mel (12 flows of 8 WN layers, 6,400 groups).</summary>
    private static double WaveGlowFlop()
    {
        var config = new WaveGlowConfig();
        double c = config.WN.NChannels, mel = config.NMelChannels * config.NGroup, groups = 200.0 * config.UpsampleStride / config.NGroup;
        double perLayer = 2 * (2 * c * c * config.WN.KernelSize + 2 * c * mel + 2 * c * c);
        return perLayer * config.WN.NLayers * config.NFlows * groups;
    }

    private static double Best(bool quick, Func<double> measure)
    {
        double best = 0;
        for (int i = 0; i < (quick ? 2 : 4); i++) best = Math.Max(best, measure());
        return best;
    }

    private static double Gflops(double flop, Action op, bool quick)
    {
        var (_, min) = Timing.Measure(op, warmup: 2, repetitions: quick ? 5 : 20);
        return flop / (min / 1000) / 1e9;
    }

    /// <summary>GFLOP/s of <paramref name="threads"/> threads each running the FMA loop, started together.</summary>
    private static double Time(int threads, long iterations)
    {
        using var ready = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => { ready.SignalAndWait(); Fma(iterations); })).ToArray();
        foreach (var t in workers) t.Start();
        ready.SignalAndWait();
        var watch = Stopwatch.StartNew();
        foreach (var t in workers) t.Join();
        return threads * iterations * ChainsPerLoop * Lanes * 2 / watch.Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>12 independent FMA chains: enough in flight to cover the FMA latency on two pipes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma(long iterations)
    {
        var m = Vector512.Create(0.9999999f);
        var c = Vector512.Create(1e-7f);
        var a0 = Vector512<float>.One; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
