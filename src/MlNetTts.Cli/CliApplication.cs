using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using MlNetTts.Cli.Commands;
using MlNetTts.Cli.Console;

namespace MlNetTts.Cli;

/// <summary>
/// The mlnet-tts command tree and its invocation: parse, map errors to <see cref="ExitCodes"/>, run a verb.
/// Tests call <see cref="Run"/> in-process with their own <see cref="CliConsole"/>.
/// </summary>
public static class CliApplication
{
    /// <summary>Width of usage help.</summary>
    internal const int HelpWidth = 100;

    private const string Description =
        "mlnet-tts: Tacotron 2 + WaveGlow text to speech (a port of NVIDIA's DeepLearningExamples 20.06).\n\n" +
        "Exit codes:\n" +
        "  0    ok\n" +
        "  1    failure: bad data or model, dataset errors found by prepare, I/O error\n" +
        "  2    usage error: the usage help is printed to stderr\n" +
        "  130  cancelled (Ctrl+C)\n\n" +
        "Performance: libgomp spin-waits by default; on a busy or small machine set OMP_WAIT_POLICY=PASSIVE " +
        "before starting mlnet-tts (it is read only at process start), otherwise two OpenMP threads can slow " +
        "inference down by an order of magnitude.";

    /// <summary>Builds the command tree bound to <paramref name="console"/>.</summary>
    public static Command BuildRoot(CliConsole console)
    {
        // A plain command rather than RootCommand, whose name is the host executable's (testhost under a test runner).
        var root = new Command("mlnet-tts", Description) { new HelpOption(), new VersionOption() };
        foreach (var help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction action) action.MaxWidth = HelpWidth;
        root.Add(PrepareCommand.Create(console));
        root.Add(SynthesizeCommand.Create(console));
        root.Add(BenchCommand.Create(console));
        root.Add(PlotCommand.Create(console));
        root.Add(TrainCommand.Create(console));
        root.Add(VoiceCommand.Create(console));
        root.SetAction(_ =>
        {
            console.Error.WriteLine("mlnet-tts: name a command.");
            console.Error.WriteLine();
            WriteHelp(root, console.Error);
            return ExitCodes.Usage;
        });
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the verb; returns an <see cref="ExitCodes"/> value.</summary>
    public static int Run(IReadOnlyList<string> args, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var root = BuildRoot(console);
        var result = root.Parse(args);
        if (result.Action is ParseErrorAction)
        {
            foreach (var error in result.Errors)
                console.Error.WriteLine($"mlnet-tts: {error.Message}");
            console.Error.WriteLine();
            WriteHelp(result.CommandResult.Command, console.Error);
            return ExitCodes.Usage;
        }
        return result.Invoke(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        });
    }

    /// <summary>Writes <paramref name="command"/>'s usage help.</summary>
    /// <summary>The action of a command that only groups subcommands: says what to name, shows its help, exits with Usage.</summary>
    internal static void RequireSubcommand(Command command, CliConsole console, string message)
    {
        command.SetAction(_ =>
        {
            console.Error.WriteLine(message);
            console.Error.WriteLine();
            WriteHelp(command, console.Error);
            return ExitCodes.Usage;
        });
    }

    internal static void WriteHelp(Command command, TextWriter writer)
    {
        // System.CommandLine 3 keeps its help builder internal: ask the tree for "<path to command> --help".
        var path = new List<string>();
        Command top = command;
        while (top.Parents.OfType<Command>().FirstOrDefault() is { } parent)
        {
            path.Insert(0, top.Name);
            top = parent;
        }
        path.Add("--help");
        top.Parse(path).Invoke(new InvocationConfiguration { Output = writer, Error = writer, EnableDefaultExceptionHandler = false });
    }

    /// <summary>
    /// Runs a verb's body and turns what it throws into an exit code and a message on stderr: usage problems (2, with
    /// help), cancellation (130), anything else (1, the exception's message, which names the input at fault).
    /// </summary>
    internal static int Guard(CliConsole console, Command command, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            console.Error.WriteLine($"mlnet-tts {command.Name}: {e.Message}");
            console.Error.WriteLine();
            WriteHelp(command, console.Error);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (console.Cancellation.IsCancellationRequested)
        {
            console.Error.WriteLine($"mlnet-tts {command.Name}: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            console.Error.WriteLine($"mlnet-tts {command.Name}: error: {e.Message}");
            if (Environment.GetEnvironmentVariable("MLNETTTS_DEBUG") == "1")
                console.Error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }
}
