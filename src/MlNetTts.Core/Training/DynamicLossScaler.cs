using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Dynamic loss scaling for mixed-precision training (TorchSharp has no GradScaler). Per step:
/// <c>ScaleLoss(loss).backward()</c>, then <see cref="UnscaleGradients"/> (true when every gradient is
/// finite), then the optimizer step only if it was, then <see cref="Update"/>. An overflowing step is
/// skipped and the scale backs off; after <see cref="LossScalerOptions.GrowthInterval"/> clean steps
/// it grows; too many overflows in a row stop training with a clear error instead of collapsing.
/// </summary>
public sealed class DynamicLossScaler
{
    private readonly LossScalerOptions _options;
    private int _cleanSteps;

    public DynamicLossScaler(LossScalerOptions? options = null)
    {
        _options = options ?? new LossScalerOptions();
        _options.Validate();
        Scale = _options.InitialScale;
    }

    /// <summary>The current loss scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Overflowing steps in a row so far.</summary>
    public int ConsecutiveOverflows { get; private set; }

    /// <summary>Steps skipped since the start because a gradient was infinite or NaN.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>The loss multiplied by the current scale (a no-op at scale 1).</summary>
    public Tensor ScaleLoss(Tensor loss) => Scale == 1 ? loss.alias() : loss * Scale;

    /// <summary>
    /// Divides every gradient by the scale in place and reports whether all of them are finite.
    /// One host synchronisation per call, not one per parameter.
    /// </summary>
    public bool UnscaleGradients(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        var maxima = new List<Tensor>();
        double inverse = 1.0 / Scale;
        foreach (var p in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (inverse != 1) grad.mul_(inverse);
            // max propagates NaN, and |g| of a finite gradient cannot overflow.
            maxima.Add(grad.abs().max().to(ScalarType.Float32));
        }
        if (maxima.Count == 0) return true;
        return float.IsFinite(stack(maxima).max().item<float>());
    }

    /// <summary>Records the outcome of a step: backs off or grows the scale; throws after too many overflows in a row.</summary>
    /// <returns>What happened, for the training log.</returns>
    /// <exception cref="LossScaleCollapsedException">Gradients overflowed on <see cref="LossScalerOptions.MaxConsecutiveOverflows"/> consecutive steps.</exception>
    public LossScaleUpdate Update(bool gradientsFinite)
    {
        double before = Scale;
        if (!gradientsFinite)
        {
            SkippedSteps++;
            ConsecutiveOverflows++;
            _cleanSteps = 0;
            if (_options.Dynamic) Scale *= _options.BackoffFactor;
            if (ConsecutiveOverflows >= _options.MaxConsecutiveOverflows)
                throw new LossScaleCollapsedException(
                    $"Gradients were infinite or NaN on {ConsecutiveOverflows} consecutive steps (loss scale now {Scale:g3}, started at {_options.InitialScale:g3}); " +
                    "stopping before the scale collapses. The weights are those of the last good step. Lower the learning rate, check the data for silence-only or corrupt items, or train in float32.");
            return new LossScaleUpdate(Skipped: true, before, Scale);
        }
        ConsecutiveOverflows = 0;
        if (_options.Dynamic && ++_cleanSteps >= _options.GrowthInterval)
        {
            _cleanSteps = 0;
            Scale *= _options.GrowthFactor;
        }
        return new LossScaleUpdate(Skipped: false, before, Scale);
    }

    /// <summary>State for a training checkpoint.</summary>
    public LossScalerState GetState() => new(Scale, _cleanSteps, ConsecutiveOverflows, SkippedSteps);

    /// <summary>Restores the state saved by <see cref="GetState"/>.</summary>
    public void SetState(LossScalerState state)
    {
        if (!(state.Scale > 0) || double.IsInfinity(state.Scale))
            throw new ArgumentOutOfRangeException(nameof(state), state.Scale, "A saved loss scale must be a positive finite number.");
        Scale = state.Scale;
        _cleanSteps = state.CleanSteps;
        ConsecutiveOverflows = state.ConsecutiveOverflows;
        SkippedSteps = state.SkippedSteps;
    }
}
