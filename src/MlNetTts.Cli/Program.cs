using MlNetTts.Cli.Console;

namespace MlNetTts.Cli;

/// <summary>Entry point of the mlnet-tts tool.</summary>
public static class Program
{
    /// <summary>Runs the command line; Ctrl+C cancels the running verb (exit code 130) instead of killing the process.</summary>
    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C asks the verb to stop at its next step; a second one ends the process at once.
            if (cancellation.IsCancellationRequested) return;
            e.Cancel = true;
            cancellation.Cancel();
        };
        return CliApplication.Run(args, CliConsole.FromProcess(cancellation.Token));
    }
}
