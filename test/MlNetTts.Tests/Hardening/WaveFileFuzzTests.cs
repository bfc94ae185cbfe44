using MlNetTts.Audio;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// WaveFile.Read on mutated valid WAVs of every encoding (and on random bytes, bare or behind a RIFF/WAVE
/// header): each ends in a waveform or <see cref="InvalidDataException"/> (WaveFile's documented exception),
/// within a time bound, allocating at most a fixed multiple of the file's size (sizes from headers are capped
/// before anything is allocated).
/// </summary>
[TestClass]
public sealed class WaveFileFuzzTests
{
    public TestContext TestContext { get; set; } = null!;

    private const int DefaultSeed = 20261125;

    [TestMethod]
    public void MutatedWavFilesFailCleanlyShortRun() => Run(iterations: 600, seed: DefaultSeed);

    [TestMethod]
    [TestCategory("Fuzz")]
    public void MutatedWavFilesFailCleanly() => Run(FuzzBudget.Iterations(50_000), FuzzBudget.Seed(DefaultSeed));

    /// <summary>
    /// Mono float samples of the file, resampled by up to 1000 kHz / 1 kHz from the header: 4 bytes per sample x
    /// the rate ratio of the worst case the fuzzer can reach (a header rate of 1000 Hz resampled to 16 kHz), plus
    /// the raw data and fixed overhead.
    /// </summary>
    private static long AllocationBound(long size) => 200 * size + (4 << 20);

    private void Run(int iterations, int seed)
    {
        var seeds = WaveSeeds.All();
        foreach (var (name, bytes) in seeds) Assert.IsNotEmpty(WaveFile.Read(new MemoryStream(bytes), name, null).Samples, name);
        var buffer = ByteMutator.BufferFor(seeds.Max(s => s.Bytes.Length) + 1024);
        var report = FuzzLoop.Run("WaveFile.Read", iterations, seed,
            (random, i) =>
            {
                var mutator = new ByteMutator(random, hotWindow: 64);
                if (i % 10 == 9)
                {
                    // Random bytes, half of them behind a valid RIFF/WAVE/fmt start so the chunk walk gets exercised.
                    int length = random.Next(1024);
                    random.NextBytes(buffer.AsSpan(0, length));
                    if (random.Next(2) == 0 && length >= 40) seeds[random.Next(seeds.Count)].Bytes.AsSpan(0, 36).CopyTo(buffer);
                    return new FuzzLoop.Input<int>(length, $"{length} random bytes", length);
                }
                var (seedName, original) = seeds[i % seeds.Count];
                var (n, how) = mutator.Mutate(original, buffer);
                return new FuzzLoop.Input<int>(n, $"{seedName}: {how}", n);
            },
            length =>
            {
                int? rate = length % 3 == 0 ? null : WaveSeeds.SampleRate; // both paths: as stored, and resampled
                var wave = WaveFile.Read(new MemoryStream(buffer, 0, length, writable: false), "fuzz.wav", rate);
                if (wave.Samples.Any(s => !float.IsFinite(s))) throw new AssertFailedException("a non-finite sample came back");
            },
            e => e is InvalidDataException ? FuzzLoop.Kind(e) : null,
            perInput: TimeSpan.FromSeconds(2), total: FuzzBudget.Limit(iterations, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(60)),
            AllocationBound);
        TestContext.WriteLine(report.ToString());
        Assert.IsGreaterThan(iterations / 20, report.Refused, report.ToString());
        Assert.IsGreaterThan(iterations / 20, report.Succeeded, report.ToString());
    }
}
