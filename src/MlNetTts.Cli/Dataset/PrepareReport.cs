using System.Text.Json.Serialization;

namespace MlNetTts.Cli.Dataset;

/// <summary>What <c>prepare --json</c> prints.</summary>
internal sealed record PrepareReport
{
    /// <summary>The listing read.</summary>
    public required string Dataset { get; init; }

    /// <summary>"ljspeech" or "filelist".</summary>
    public required string Layout { get; init; }

    /// <summary>Clips listed (well-formed lines).</summary>
    public int Clips { get; init; }

    /// <summary>Clips whose audio could be read.</summary>
    public int Readable { get; init; }

    /// <summary>Total length of the readable audio.</summary>
    public double AudioSeconds { get; init; }

    /// <summary>Problems of severity error.</summary>
    public int Errors { get; init; }

    /// <summary>Problems of severity warning.</summary>
    public int Warnings { get; init; }

    /// <summary>Count per problem kind.</summary>
    public required IReadOnlyDictionary<string, int> ProblemCounts { get; init; }

    /// <summary>Every problem, in listing order.</summary>
    public required IReadOnlyList<ReportedProblem> Problems { get; init; }

    /// <summary>Fixed copies written by --resample-to, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public WrittenFiles? Resampled { get; init; }

    /// <summary>Mel cache written by --mel-cache, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public WrittenFiles? MelCache { get; init; }

    /// <summary>A problem as printed.</summary>
    public sealed record ReportedProblem(string Kind, string Severity, int? Line, string? Id, string? File, string Message);

    /// <summary>Files written into a folder.</summary>
    public sealed record WrittenFiles(string Directory, int Files);
}
