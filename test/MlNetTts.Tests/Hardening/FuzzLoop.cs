using System.Diagnostics;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Runs a fuzz target: each input must end in success or one of the target's documented exceptions, within a time
/// bound per input, allocating no more than a bound proportional to its size. The loop runs on its own background
/// thread, so a hang fails the test (naming the input) instead of blocking the test run.
/// </summary>
internal static class FuzzLoop
{
    /// <summary>One fuzz input: the value, how it was made (for the failure message) and its size (for the allocation bound).</summary>
    public readonly record struct Input<T>(T Value, string How, long Size);

    /// <summary>What a finished run saw.</summary>
    public sealed record Report(string Target, int Iterations, int Seed, TimeSpan Elapsed, int Succeeded, IReadOnlyDictionary<string, int> Refusals, TimeSpan Slowest, long MostAllocated)
    {
        public int Refused => Refusals.Values.Sum();

        public override string ToString() =>
            $"{Target}, seed {Seed}: {Iterations} inputs in {Elapsed.TotalSeconds:F1} s ({Succeeded} accepted, {Refused} refused; slowest {Slowest.TotalMilliseconds:F0} ms, " +
            $"most allocated {MostAllocated >> 10} KiB). Refusals: " + string.Join("; ", Refusals.OrderByDescending(r => r.Value).Take(12).Select(r => $"{r.Value} {r.Key}")) + (Refusals.Count > 12 ? $"; {Refusals.Count - 12} more kinds" : "");
    }

    /// <param name="target">Name in messages.</param>
    /// <param name="seed">Seed of the <see cref="Random"/> handed to <paramref name="next"/>.</param>
    /// <param name="next">Makes input i (deterministic given the random source).</param>
    /// <param name="attempt">Feeds one input to the code under test.</param>
    /// <param name="documented">Whether an exception is one the target documents for bad input; its kind (for the report) or null.</param>
    /// <param name="perInput">Longest one input may take.</param>
    /// <param name="total">Longest the whole run may take (a hang ends here).</param>
    /// <param name="allocationBound">Most bytes one input of the given size may allocate on the loop's thread.</param>
    public static Report Run<T>(string target, int iterations, int seed, Func<Random, int, Input<T>> next, Action<T> attempt,
        Func<Exception, string?> documented, TimeSpan perInput, TimeSpan total, Func<long, long> allocationBound)
    {
        var random = new Random(seed);
        var refusals = new Dictionary<string, int>();
        int succeeded = 0, current = -1;
        string currentHow = "";
        string? failure = null;
        TimeSpan slowest = TimeSpan.Zero;
        long mostAllocated = 0;
        var clock = Stopwatch.StartNew();

        var worker = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < iterations && failure is null; i++)
                {
                    var input = next(random, i);
                    Volatile.Write(ref currentHow, input.How);
                    Volatile.Write(ref current, i);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    var one = Stopwatch.StartNew();
                    try
                    {
                        attempt(input.Value);
                        succeeded++;
                    }
                    catch (Exception e) when (documented(e) is { } kind)
                    {
                        refusals[kind] = refusals.GetValueOrDefault(kind) + 1;
                    }
                    catch (Exception e)
                    {
                        failure = $"input {i} ({input.How}, {input.Size} bytes): undocumented {e.GetType().FullName}: {e.Message}\n{e}";
                        break;
                    }
                    var elapsed = one.Elapsed;
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (elapsed > slowest) slowest = elapsed;
                    if (allocated > mostAllocated) mostAllocated = allocated;
                    if (elapsed > perInput) failure = $"input {i} ({input.How}, {input.Size} bytes) took {elapsed} (limit {perInput})";
                    else if (allocated > allocationBound(input.Size))
                        failure = $"input {i} ({input.How}, {input.Size} bytes) allocated {allocated} bytes (limit {allocationBound(input.Size)})";
                }
            }
            catch (Exception e)
            {
                failure = $"making input {current + 1} failed: {e}";
            }
        }, maxStackSize: 16 << 20) { IsBackground = true, Name = "fuzz " + target };
        worker.Start();
        if (!worker.Join(total))
            Assert.Fail($"{target}, seed {seed}: input {Volatile.Read(ref current)} ({Volatile.Read(ref currentHow)}) did not finish; the run's limit is {total}.");
        if (failure is not null) Assert.Fail($"{target}, seed {seed}: {failure}");
        return new Report(target, iterations, seed, clock.Elapsed, succeeded, refusals, slowest, mostAllocated);
    }

    /// <summary>An exception's type and the start of its message, for grouping refusals.</summary>
    public static string Kind(Exception e)
    {
        var message = e.Message;
        int named = message.IndexOf("': ", StringComparison.Ordinal); // "WAV file 'name': what" -> "what"
        if (named >= 0) message = message[(named + 3)..];
        int cut = message.IndexOfAny([':', '(', '\'']);
        if (cut > 0) message = message[..cut];
        var words = message.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4).Select(w => w.Any(char.IsDigit) ? "N" : w);
        return $"{e.GetType().Name}: {string.Join(' ', words)}";
    }
}
