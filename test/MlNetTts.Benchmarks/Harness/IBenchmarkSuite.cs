namespace MlNetTts.Benchmarks.Harness;

/// <summary>
/// One benchmark suite: runs its measurements and returns a table. Suites are found by reflection,
/// so adding one is adding a class under Suites/.
/// </summary>
public interface IBenchmarkSuite
{
    /// <summary>Name used on the command line, e.g. "tacotron2-decoder".</summary>
    string Name { get; }

    /// <summary>One line saying what is measured.</summary>
    string Description { get; }

    /// <summary>Runs the suite; <paramref name="quick"/> trims repetitions for a smoke run.</summary>
    ResultTable Run(bool quick);
}
