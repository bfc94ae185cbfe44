using Spectre.Console;

namespace MlNetTts.Cli.Console;

/// <summary>
/// Where a command reads and writes: the process console for the real tool, in-memory writers in tests.
/// Progress bars are drawn only when <see cref="ShowProgress"/> (a terminal on both stdout and stderr).
/// </summary>
public sealed class CliConsole
{
    /// <summary>A console over the given streams.</summary>
    /// <param name="output">Results (tables, JSON).</param>
    /// <param name="error">Diagnostics, usage help after an error, progress bars.</param>
    /// <param name="input">Standard input (text lines for <c>synthesize</c>).</param>
    /// <param name="inputIsRedirected">Whether <paramref name="input"/> is a pipe or file rather than a terminal.</param>
    /// <param name="showProgress">Draw live progress bars on <paramref name="error"/>.</param>
    /// <param name="cancellation">Signalled on Ctrl+C.</param>
    /// <param name="tableWidth">Width tables are laid out for (the terminal's, or wide for files and pipes).</param>
    public CliConsole(TextWriter output, TextWriter error, TextReader input, bool inputIsRedirected, bool showProgress,
        CancellationToken cancellation = default, int tableWidth = 240)
    {
        Out = output;
        Error = error;
        In = input;
        InputIsRedirected = inputIsRedirected;
        ShowProgress = showProgress;
        Cancellation = cancellation;
        Tables = Create(output, interactive: false);
        Tables.Profile.Width = Math.Max(40, tableWidth);
        ProgressConsole = Create(error, interactive: showProgress);
    }

    /// <summary>Results.</summary>
    public TextWriter Out { get; }

    /// <summary>Diagnostics.</summary>
    public TextWriter Error { get; }

    /// <summary>Standard input.</summary>
    public TextReader In { get; }

    /// <summary>Whether standard input is a pipe or file (then <c>synthesize</c> without text reads it).</summary>
    public bool InputIsRedirected { get; }

    /// <summary>Whether live progress bars are drawn.</summary>
    public bool ShowProgress { get; }

    /// <summary>Signalled when the user asks to stop.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Spectre console over <see cref="Out"/> for tables (plain text, no colour codes).</summary>
    public IAnsiConsole Tables { get; }

    /// <summary>Spectre console over <see cref="Error"/> for progress bars.</summary>
    internal IAnsiConsole ProgressConsole { get; }

    /// <summary>The process console: progress only when neither stdout nor stderr is redirected.</summary>
    public static CliConsole FromProcess(CancellationToken cancellation) => new(
        System.Console.Out, System.Console.Error, System.Console.In, System.Console.IsInputRedirected,
        showProgress: !System.Console.IsOutputRedirected && !System.Console.IsErrorRedirected, cancellation,
        tableWidth: System.Console.IsOutputRedirected ? 240 : System.Console.WindowWidth);

    private static IAnsiConsole Create(TextWriter writer, bool interactive) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
    });
}
