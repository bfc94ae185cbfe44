using Spectre.Console;

namespace MlNetTts.Cli.Console;

/// <summary>Runs work over a counted set of items with a Spectre progress bar on a terminal, or silently when redirected.</summary>
internal static class ProgressReporter
{
    /// <summary>Calls <paramref name="work"/> with an "advance by one" callback; checks cancellation at each step.</summary>
    public static void Run(CliConsole console, string description, int total, Action<Action> work)
    {
        if (!console.ShowProgress || total <= 1)
        {
            work(() => console.Cancellation.ThrowIfCancellationRequested());
            return;
        }
        console.ProgressConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total);
                work(() =>
                {
                    console.Cancellation.ThrowIfCancellationRequested();
                    task.Increment(1);
                });
            });
    }
}
