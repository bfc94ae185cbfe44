using MlNetTts.Audio;
using MlNetTts.Nn;

namespace MlNetTts.Speech;

/// <summary>Everything a fitted TextToMel transformer needs besides the model (saved in the model zip).</summary>
internal sealed record TextToMelSettings
{
    public required string InputColumnName { get; init; }

    public required string OutputColumnName { get; init; }

    public string? AlignmentColumnName { get; init; }

    public string? MelLengthColumnName { get; init; }

    public string? HitMaxDecoderStepsColumnName { get; init; }

    public required int BatchSize { get; init; }

    public int? MaxDecoderSteps { get; init; }

    public double? GateThreshold { get; init; }

    public required bool PrenetDropout { get; init; }

    public required Precision Precision { get; init; }

    /// <summary>Longest sentence in characters; 0 = no splitting.</summary>
    public required int SentenceMaxLength { get; init; }

    public required int SentencePauseFrames { get; init; }

    public required MelSettings MelSettings { get; init; }

    public required int Seed { get; init; }

    public void Validate(int modelMelChannels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(InputColumnName, nameof(TextToMelOptions.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputColumnName, nameof(TextToMelOptions.OutputColumnName));
        var names = new[] { OutputColumnName, AlignmentColumnName, MelLengthColumnName, HitMaxDecoderStepsColumnName }.Where(n => n is not null).ToList();
        if (names.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("TextToMel: an optional output column name is empty or blank; leave it null to skip that column.");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentException($"TextToMel: output column names must differ; got {string.Join(", ", names)}.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(TextToMelOptions.BatchSize), BatchSize, "must be at least 1.");
        if (MaxDecoderSteps is < 1) throw new ArgumentOutOfRangeException(nameof(TextToMelOptions.MaxDecoderSteps), MaxDecoderSteps, "must be at least 1 (or null for the model's max_decoder_steps).");
        if (GateThreshold is { } g && !(g > 0 && g < 1)) throw new ArgumentOutOfRangeException(nameof(TextToMelOptions.GateThreshold), g, "must be in (0, 1) (or null for the model's gate_threshold).");
        if (SentenceMaxLength < 0) throw new ArgumentOutOfRangeException(nameof(TextToMelOptions.SentenceMaxLength), SentenceMaxLength, "must be 0 (no splitting) or positive.");
        if (SentencePauseFrames < 0) throw new ArgumentOutOfRangeException(nameof(TextToMelOptions.SentencePause), SentencePauseFrames, "must not be negative.");
        MelSettings.Validate();
        if (MelSettings.MelChannels != modelMelChannels)
            throw new ArgumentException($"TextToMel: MelSettings.MelChannels is {MelSettings.MelChannels} but the Tacotron 2 model makes {modelMelChannels}-channel mels (n_mel_channels).", nameof(TextToMelOptions.MelSettings));
    }
}
