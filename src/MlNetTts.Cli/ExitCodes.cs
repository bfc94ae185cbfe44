namespace MlNetTts.Cli;

/// <summary>The process exit codes of mlnet-tts; scripts may rely on them.</summary>
public static class ExitCodes
{
    /// <summary>Done; for <c>prepare</c>: no dataset problem of severity error.</summary>
    public const int Ok = 0;

    /// <summary>The command ran and failed: bad input data, a model that does not fit, dataset errors found, an I/O error.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong (unknown verb or option, bad value, missing input); usage help goes to stderr.</summary>
    public const int Usage = 2;

    /// <summary>Cancelled (Ctrl+C / SIGINT), as shells report 128 + SIGINT.</summary>
    public const int Cancelled = 130;
}
