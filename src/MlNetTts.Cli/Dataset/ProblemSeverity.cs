namespace MlNetTts.Cli.Dataset;

/// <summary>Whether a dataset problem stops training (error) or only deserves a look (warning).</summary>
internal enum ProblemSeverity
{
    /// <summary>Worth a look; the clip can still be used.</summary>
    Warning,

    /// <summary>The clip cannot be used as it is.</summary>
    Error,
}
