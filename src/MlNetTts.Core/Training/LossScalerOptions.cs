namespace MlNetTts.Training;

/// <summary>Settings of the <see cref="DynamicLossScaler"/>; the defaults are PyTorch's GradScaler's.</summary>
public sealed record LossScalerOptions
{
    /// <summary>Scale of the first step (2^16).</summary>
    public double InitialScale { get; init; } = 65536;

    /// <summary>Multiplier after <see cref="GrowthInterval"/> consecutive clean steps.</summary>
    public double GrowthFactor { get; init; } = 2.0;

    /// <summary>Multiplier after a step whose gradients overflowed.</summary>
    public double BackoffFactor { get; init; } = 0.5;

    /// <summary>Clean steps between two growths.</summary>
    public int GrowthInterval { get; init; } = 2000;

    /// <summary>
    /// Consecutive overflowing steps after which training stops with <see cref="LossScaleCollapsedException"/>
    /// instead of backing the scale off towards zero (the reference's failure mode: scale collapsing and NaN weights).
    /// </summary>
    public int MaxConsecutiveOverflows { get; init; } = 30;

    /// <summary>
    /// False keeps the scale fixed (e.g. at 1 for bfloat16, whose range equals float32's); non-finite gradients
    /// still skip the step.
    /// </summary>
    public bool Dynamic { get; init; } = true;

    /// <summary>Settings for bfloat16: no scaling needed, but non-finite steps are still skipped and counted.</summary>
    public static LossScalerOptions FixedUnitScale { get; } = new() { InitialScale = 1, Dynamic = false };

    internal void Validate()
    {
        if (!(InitialScale > 0) || double.IsInfinity(InitialScale)) throw new ArgumentOutOfRangeException(nameof(InitialScale), InitialScale, "must be a positive finite number");
        if (!(GrowthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(GrowthFactor), GrowthFactor, "must be greater than 1");
        if (!(BackoffFactor > 0 && BackoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(BackoffFactor), BackoffFactor, "must be in (0, 1)");
        if (GrowthInterval < 1) throw new ArgumentOutOfRangeException(nameof(GrowthInterval), GrowthInterval, "must be at least 1");
        if (MaxConsecutiveOverflows < 1) throw new ArgumentOutOfRangeException(nameof(MaxConsecutiveOverflows), MaxConsecutiveOverflows, "must be at least 1");
    }
}
