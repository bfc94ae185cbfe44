using System.Diagnostics;
using MlNetTts.Checkpoints;
using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Checkpoints;

/// <summary>
/// Deterministic random corruptions of the fixture checkpoints (both formats): byte flips, overwritten windows,
/// truncations and inserted garbage, mostly where the structure lives (the pickle at the start, the zip directory
/// at the end). Each must end in success or <see cref="CheckpointFormatException"/> — never another exception, a
/// hang or a crash — within a time bound.
/// </summary>
[TestClass]
public sealed class CheckpointFuzzTests
{
    public TestContext TestContext { get; set; } = null!;

    private const int MaxInserted = 64;

    private static readonly TimeSpan PerFileLimit = TimeSpan.FromSeconds(5);

    /// <summary>Set to run more corruptions than the default (e.g. 50000 for a long run).</summary>
    public const string IterationsVariable = "MLNETTTS_FUZZ_ITERATIONS";

    /// <summary>Set to corrupt with another seed than the default one.</summary>
    public const string SeedVariable = "MLNETTTS_FUZZ_SEED";

    [TestMethod]
    public void CorruptedCheckpointsFailCleanly()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out var n) && n > 0 ? n : 3000;
        // About 2 ms per corruption here; the bound leaves room for a loaded machine, and grows with a longer run.
        int seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out var s) ? s : 20240601;
        Run(TestContext, iterations, seed, limit: TimeSpan.FromSeconds(60) * Math.Max(1, iterations / 3000.0));
    }

    private static void Run(TestContext context, int iterations, int seed, TimeSpan limit)
    {
        var fixtures = ReferenceFixtures.Current;
        var files = new[] { "tacotron2", "waveglow" }
            .SelectMany(m => fixtures.Section(m).GetProperty("checkpoints").EnumerateObject().Select(c => c.Name))
            .Select(name => (name, bytes: File.ReadAllBytes(fixtures.PathOf(name))))
            .ToList();
        // The pristine files load (this also pays for loading libtorch before anything is timed).
        foreach (var (name, bytes) in files)
        {
            using var pristine = TorchCheckpoint.Load(new MemoryStream(bytes, writable: false), name);
            Assert.IsNotEmpty(pristine.StateDict, name);
        }
        var buffer = new byte[files.Max(f => f.bytes.Length) + MaxInserted];
        var random = new Random(seed);
        var total = Stopwatch.StartNew();
        int succeeded = 0, refused = 0;
        var problems = new Dictionary<string, int>();
        for (int i = 0; i < iterations; i++)
        {
            var (name, original) = files[i % files.Count];
            var (length, how) = Mutate(original, buffer, random);
            var one = Stopwatch.StartNew();
            try
            {
                using var checkpoint = TorchCheckpoint.Load(new MemoryStream(buffer, 0, length, writable: false), $"{name}#{i}");
                _ = checkpoint.StateDict.Count;
                succeeded++;
            }
            catch (CheckpointFormatException e)
            {
                refused++;
                var kind = new string(e.Problem.TakeWhile(c => !char.IsDigit(c) && c != '\'').ToArray()).Trim();
                problems[kind] = problems.GetValueOrDefault(kind) + 1;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} ({name}, {how}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Assert.IsLessThan(PerFileLimit, one.Elapsed, $"iteration {i} ({name}, {how}) took {one.Elapsed}");
            Assert.IsLessThan(limit, total.Elapsed, $"{i} iterations took {total.Elapsed}");
        }
        context.WriteLine($"seed {seed}: {iterations} corruptions in {total.Elapsed.TotalSeconds:F1} s: {succeeded} read, {refused} refused. Refusals by kind:");
        foreach (var (kind, count) in problems.OrderByDescending(p => p.Value)) context.WriteLine($"  {count,6}  {kind}");
        // Both outcomes must occur, or the corruptions are not exercising anything.
        Assert.IsGreaterThan(iterations / 20, refused, $"refused {refused} of {iterations}");
        Assert.IsGreaterThan(0, succeeded, $"succeeded {succeeded} of {iterations}");
    }

    /// <summary>Writes a corrupted copy of <paramref name="original"/> into <paramref name="buffer"/> (no large allocations per iteration).</summary>
    private static (int Length, string How) Mutate(byte[] original, byte[] buffer, Random random)
    {
        // Structure lives in the first and last few KB (pickle; zip local header of data.pkl and central directory).
        int Position(int length)
        {
            const int window = 16 << 10;
            if (length <= 2 * window || random.NextDouble() < 0.25) return random.Next(length);
            return random.NextDouble() < 0.6 ? random.Next(window) : length - 1 - random.Next(window);
        }
        int n = original.Length;
        Buffer.BlockCopy(original, 0, buffer, 0, n);
        switch (random.Next(5))
        {
            case 0:
            {
                int flips = 1 + random.Next(8);
                for (int k = 0; k < flips; k++) buffer[Position(n)] ^= (byte)(1 << random.Next(8));
                return (n, $"{flips} bit flips");
            }
            case 1:
            {
                int at = Position(n), count = 1 + random.Next(4);
                for (int k = 0; k < count && at + k < n; k++) buffer[at + k] = (byte)random.Next(256);
                return (n, $"{count} random bytes at {at}");
            }
            case 2:
            {
                int cut = Position(n);
                return (cut, $"truncated to {cut}");
            }
            case 3:
            {
                int at = Position(n), count = 1 + random.Next(MaxInserted);
                random.NextBytes(buffer.AsSpan(at, count));
                Buffer.BlockCopy(original, at, buffer, at + count, n - at);
                return (n + count, $"{count} bytes inserted at {at}");
            }
            default:
            {
                // Interesting values over a 1-8 byte field: sizes and lengths become huge, negative or zero.
                int at = Position(n), width = 1 << random.Next(4);
                byte fill = random.Next(3) switch { 0 => 0xFF, 1 => 0x7F, _ => 0x00 };
                for (int k = 0; k < width && at + k < n; k++) buffer[at + k] = fill;
                return (n, $"{width} bytes of 0x{fill:x2} at {at}");
            }
        }
    }
}
