namespace MlNetTts.Tests.Hardening;

/// <summary>
/// How many inputs a fuzz run tries and from which seed. Every fuzz test has a short default budget (part of the
/// default test run) and a long one (category Fuzz); both take the environment's MLNETTTS_FUZZ_ITERATIONS and
/// MLNETTTS_FUZZ_SEED when set, so a long run by hand is e.g.
/// <c>MLNETTTS_FUZZ_ITERATIONS=100000 dotnet test ... --filter TestCategory=Fuzz</c>.
/// </summary>
internal static class FuzzBudget
{
    /// <summary>Set to run more (or fewer) inputs per target than the test's default.</summary>
    public const string IterationsVariable = "MLNETTTS_FUZZ_ITERATIONS";

    /// <summary>Set to mutate from another seed than the test's default.</summary>
    public const string SeedVariable = "MLNETTTS_FUZZ_SEED";

    /// <summary>The iterations from the environment, else <paramref name="fallback"/>.</summary>
    public static int Iterations(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out var n) && n > 0 ? n : fallback;

    /// <summary>The seed from the environment, else <paramref name="fallback"/>.</summary>
    public static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out var s) ? s : fallback;

    /// <summary>A total time limit that grows with the iterations: <paramref name="perIteration"/> each, at least <paramref name="floor"/>.</summary>
    public static TimeSpan Limit(int iterations, TimeSpan perIteration, TimeSpan floor) =>
        TimeSpan.FromTicks(Math.Max(floor.Ticks, perIteration.Ticks * (long)iterations));
}
