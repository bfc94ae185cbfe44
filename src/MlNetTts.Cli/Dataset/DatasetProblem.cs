namespace MlNetTts.Cli.Dataset;

/// <summary>One problem found by <see cref="DatasetChecker"/>.</summary>
/// <param name="Kind">Stable machine-readable kind (see <see cref="ProblemKinds"/>).</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="Line">1-based line in the listing, when the problem belongs to a line.</param>
/// <param name="Id">Clip id, when known.</param>
/// <param name="File">File concerned, when any.</param>
/// <param name="Message">What is wrong, for a person.</param>
internal sealed record DatasetProblem(string Kind, ProblemSeverity Severity, int? Line, string? Id, string? File, string Message);
