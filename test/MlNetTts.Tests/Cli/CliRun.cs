using MlNetTts.Cli;
using MlNetTts.Cli.Console;

namespace MlNetTts.Tests.Cli;

/// <summary>One in-process run of mlnet-tts: its exit code and what it wrote.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs mlnet-tts with <paramref name="args"/>, no stdin (as from a terminal), progress off (output is captured).</summary>
    public static CliRun Of(params string[] args) => Start(args, stdin: null, CancellationToken.None);

    /// <summary>Runs mlnet-tts with <paramref name="stdin"/> piped in.</summary>
    public static CliRun WithInput(string stdin, params string[] args) => Start(args, stdin, CancellationToken.None);

    /// <summary>Runs mlnet-tts with a cancellation token (Ctrl+C stand-in).</summary>
    public static CliRun Cancelled(CancellationToken token, params string[] args) => Start(args, null, token);

    private static CliRun Start(string[] args, string? stdin, CancellationToken token)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(stdin ?? "");
        var console = new CliConsole(output, error, input, inputIsRedirected: stdin is not null, showProgress: false, token);
        int code = CliApplication.Run(args, console);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Everything written, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
