using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetTts.Training;

namespace MlNetTts.Speech;

/// <summary>
/// How a training Fit talks to its MLContext: a log channel (epochs and checkpoints as Info, steps as Trace, skipped
/// steps as Warning), an ML.NET progress channel (<see cref="IProgressChannel"/>: metrics loss, validation loss, items/s,
/// learning rate, loss scale over units epoch and batch; pulled on demand, one checkpoint per epoch), and
/// cancellation: <c>MLContext.CancelExecution()</c> or the options' token stop the run between steps.
/// </summary>
/// <remarks>
/// The trainer runs synchronously on Fit's thread and reports after every step, so checking the MLContext there is
/// checking between steps: a cancellation is seen after the step in flight and the engine stops before the next one,
/// exactly as with the options' token (same cancelled checkpoint, same exception).
/// </remarks>
internal sealed class TrainingChannels : IDisposable
{
    /// <summary>The progress channel's metrics, in the order of <see cref="IProgressEntry.SetMetric"/>'s index.</summary>
    public static readonly string[] MetricNames = ["loss", "validation loss", "items/s", "learning rate", "loss scale"];

    /// <summary>The progress channel's units: epochs of the run, batches of the epoch.</summary>
    public static readonly string[] UnitNames = ["epoch", "batch"];

    private readonly IHostEnvironment _env;
    private readonly IProgressChannel _progress;
    private readonly CancellationTokenSource _cancellation;
    private readonly IProgress<TrainingProgress>? _user;
    private readonly int _epochs;
    private volatile TrainingProgress? _lastStep;

    public TrainingChannels(IHostEnvironment env, string name, int epochs, IProgress<TrainingProgress>? user, CancellationToken token)
    {
        _env = env;
        _user = user;
        _epochs = epochs;
        Log = env.Start(name);
        _progress = env.StartProgressChannel(name);
        _progress.SetHeader(new ProgressHeader(MetricNames, UnitNames), Fill);
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(token);
        Progress = new Reporter(this);
        CheckMlContext();
    }

    /// <summary>The MLContext's log channel of this run.</summary>
    public IChannel Log { get; }

    /// <summary>What the trainer reports to: the log, the progress channel, the caller's progress, then the MLContext's cancellation.</summary>
    public IProgress<TrainingProgress> Progress { get; }

    /// <summary>Cancelled by the options' token or by <c>MLContext.CancelExecution()</c> (seen at the next report).</summary>
    public CancellationToken Cancellation => _cancellation.Token;

    /// <summary>Pulled by ML.NET (any thread): the last step's figures.</summary>
    private void Fill(IProgressEntry entry)
    {
        if (_lastStep is not { } step) return;
        entry.SetMetric(0, step.Loss);
        entry.SetMetric(2, step.ItemsPerSecond);
        entry.SetMetric(3, step.LearningRate);
        entry.SetMetric(4, step.LossScale);
        entry.SetProgress(0, step.Epoch, _epochs);
        entry.SetProgress(1, step.Batch + 1, step.BatchesInEpoch);
    }

    private void CheckMlContext()
    {
        if (_env is ICancelable { IsCanceled: true } && !_cancellation.IsCancellationRequested) _cancellation.Cancel();
    }

    private void Report(TrainingProgress value)
    {
        switch (value.Kind)
        {
            case TrainingEventKind.Step:
                _lastStep = value;
                Log.Trace("{0}", $"epoch {value.Epoch} iteration {value.Iteration}: loss {value.Loss:G5}, {value.ItemsPerSecond:F0} items/s, lr {value.LearningRate:G3}, loss scale {value.LossScale:G3}{(value.StepSkipped ? " (skipped: non-finite gradients)" : "")}");
                if (value.StepSkipped) Log.Warning("{0}", $"iteration {value.Iteration}: non-finite gradients, step skipped, loss scale now {value.LossScale:G3}");
                break;
            case TrainingEventKind.EpochEnd:
                Log.Info("{0}", $"epoch {value.Epoch} done: train loss {value.Loss:G5}" +
                    (value.ValidationLoss is double v ? $", validation loss {v:G5}" : "") +
                    (value.AttentionDiagonality is double d ? $", attention diagonality {d:F3}" : "") + $", skipped steps {value.SkippedSteps}");
                // Checkpoint's values: the metrics, then the units' progress, then their limits.
                _progress.Checkpoint(value.Loss, value.ValidationLoss, _lastStep?.ItemsPerSecond, value.LearningRate, value.LossScale,
                    value.Epoch + 1, value.BatchesInEpoch, _epochs, value.BatchesInEpoch);
                break;
            case TrainingEventKind.Checkpoint:
                Log.Info("{0}", $"checkpoint written: {value.CheckpointPath}");
                break;
        }
        _user?.Report(value);
        CheckMlContext();
    }

    public void Dispose()
    {
        _progress.Dispose();
        Log.Dispose();
        _cancellation.Dispose();
    }

    private sealed class Reporter(TrainingChannels owner) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => owner.Report(value);
    }
}
