using System.Diagnostics;
using MlNetTts.Checkpoints;
using MlNetTts.Tests.Fixtures;
using MlNetTts.Tests.Hardening;

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

    private static readonly TimeSpan PerFileLimit = TimeSpan.FromSeconds(5);

    [TestMethod]
    public void CorruptedCheckpointsFailCleanly()
    {
        // MLNETTTS_FUZZ_ITERATIONS / MLNETTTS_FUZZ_SEED run it longer or with another seed (see Hardening/FuzzBudget).
        int iterations = FuzzBudget.Iterations(3000);
        // About 2 ms per corruption here; the bound leaves room for a loaded machine, and grows with a longer run.
        int seed = FuzzBudget.Seed(20240601);
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
        var buffer = ByteMutator.BufferFor(files.Max(f => f.bytes.Length));
        var random = new Random(seed);
        // Structure lives in the first and last few KB (pickle; zip local header of data.pkl and central directory).
        var mutator = new ByteMutator(random, hotWindow: 16 << 10);
        var total = Stopwatch.StartNew();
        int succeeded = 0, refused = 0;
        var problems = new Dictionary<string, int>();
        for (int i = 0; i < iterations; i++)
        {
            var (name, original) = files[i % files.Count];
            var (length, how) = mutator.Mutate(original, buffer);
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
}
