using System.Globalization;
using MlNetTts.Cli.Console;
using MlNetTts.Training;
using Spectre.Console;

namespace MlNetTts.Cli.Training;

/// <summary>
/// Reports a training run: appends <c>step,epoch,train_loss,val_loss</c> rows to the CSV log <c>plot loss</c> reads
/// (one per step; one per epoch end with the validation loss), and shows a live Spectre progress bar (loss,
/// items/s, ETA) on a terminal or writes plain log lines otherwise.
/// </summary>
internal sealed class TrainingReporter : IProgress<TrainingProgress>, IDisposable
{
    private readonly CliConsole _console;
    private readonly StreamWriter _log;
    private readonly int _epochs;
    private readonly bool _quiet;
    private ProgressTask? _task;

    public TrainingReporter(CliConsole console, string logPath, int epochs, bool quiet)
    {
        _console = console;
        _epochs = epochs;
        _quiet = quiet;
        bool header = !File.Exists(logPath) || new FileInfo(logPath).Length == 0;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        if (header) _log.WriteLine(string.Join(",", Plots.LossLog.Columns));
    }

    /// <summary>Runs <paramref name="fit"/> under a live progress bar when the console is a terminal.</summary>
    public TrainingResult Run(Func<TrainingResult> fit)
    {
        if (!_console.ShowProgress || _quiet) return fit();
        TrainingResult result = null!;
        _console.ProgressConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _task = context.AddTask("training", maxValue: 1);
                result = fit();
                _task.StopTask();
            });
        return result;
    }

    public void Report(TrainingProgress value)
    {
        var c = CultureInfo.InvariantCulture;
        switch (value.Kind)
        {
            case TrainingEventKind.Step:
                _log.WriteLine(string.Create(c, $"{value.Iteration},{value.Epoch + (double)(value.Batch + 1) / Math.Max(1, value.BatchesInEpoch):0.####},{value.Loss:R},"));
                if (_task is not null)
                {
                    _task.MaxValue = Math.Max(1, (double)_epochs * value.BatchesInEpoch);
                    _task.Value = Math.Min(_task.MaxValue, (double)value.Epoch * value.BatchesInEpoch + value.Batch + 1);
                    _task.Description = Markup.Escape(string.Create(c, $"epoch {value.Epoch + 1}/{_epochs}  loss {value.Loss:0.0000}  {value.ItemsPerSecond:0} items/s"));
                }
                else if (!_quiet)
                    _console.Error.WriteLine(string.Create(c,
                        $"epoch {value.Epoch + 1}/{_epochs}  batch {value.Batch + 1}/{value.BatchesInEpoch}  step {value.Iteration}  loss {value.Loss:0.000000}  {value.ItemsPerSecond:0} items/s  lr {value.LearningRate:G4}{(value.StepSkipped ? "  (skipped: non-finite)" : "")}"));
                break;
            case TrainingEventKind.EpochEnd:
                if (value.ValidationLoss is { } v) _log.WriteLine(string.Create(c, $"{value.Iteration},{value.Epoch + 1},,{v:R}"));
                if (!_quiet)
                    WriteLine(string.Create(c, $"epoch {value.Epoch + 1}/{_epochs} done: train loss {value.Loss:0.000000}")
                        + (value.ValidationLoss is { } val ? string.Create(c, $", validation loss {val:0.000000}") : "")
                        + (value.AttentionDiagonality is { } d ? string.Create(c, $", attention diagonality {d:0.000}") : ""));
                break;
            case TrainingEventKind.Checkpoint:
                if (!_quiet) WriteLine($"checkpoint: {value.CheckpointPath}");
                break;
        }
    }

    private void WriteLine(string line)
    {
        if (_task is not null) _console.ProgressConsole.MarkupLine(Markup.Escape(line));
        else _console.Error.WriteLine(line);
    }

    public void Dispose() => _log.Dispose();
}
