namespace MlNetTts.Cli.Dataset;

/// <summary>What <see cref="DatasetChecker"/> expects of a clip.</summary>
internal sealed record DatasetCheckOptions
{
    /// <summary>Expected sample rate (the model's).</summary>
    public int SampleRate { get; init; } = 22050;

    /// <summary>Samples per mel frame.</summary>
    public int HopLength { get; init; } = 256;

    /// <summary>Decoder step cap; a clip with more mel frames than this times <see cref="FramesPerStep"/> is too long.</summary>
    public int MaxDecoderSteps { get; init; } = 2000;

    /// <summary>Mel frames per decoder step (r).</summary>
    public int FramesPerStep { get; init; } = 1;

    /// <summary>Level in dBFS at or below which a 10 ms window counts as silence.</summary>
    public double SilenceThresholdDb { get; init; } = -40;

    /// <summary>Longest silence allowed at either end, in seconds.</summary>
    public double MaxSilenceSeconds { get; init; } = 0.5;
}
