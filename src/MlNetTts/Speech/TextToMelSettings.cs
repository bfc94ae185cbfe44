using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Text;

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

    /// <summary>Draws per sentence (<see cref="Tacotron2.TextSynthesisOptions.Candidates"/>).</summary>
    public int Candidates { get; init; } = 1;

    /// <summary>Known words read as phones (<see cref="Tacotron2.TextSynthesisOptions.Pronunciations"/>); null: letters.</summary>
    public PronunciationDictionary? Pronunciations { get; init; }

    /// <summary>Longest sentence in characters; 0 = no splitting.</summary>
    public required int SentenceMaxLength { get; init; }

    public required int SentencePauseFrames { get; init; }

    public required MelSettings MelSettings { get; init; }

    public required int Seed { get; init; }

    /// <summary>Inference cancellation (not saved with the model).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Checks the column names and mel settings; the synthesis settings are checked by <see cref="Tacotron2.TextSynthesisOptions.Validate"/>.</summary>
    public void Validate(int modelMelChannels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(InputColumnName, nameof(TextToMelOptions.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputColumnName, nameof(TextToMelOptions.OutputColumnName));
        var names = new[] { OutputColumnName, AlignmentColumnName, MelLengthColumnName, HitMaxDecoderStepsColumnName }.Where(n => n is not null).ToList();
        if (names.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("TextToMel: an optional output column name is empty or blank; leave it null to skip that column.");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentException($"TextToMel: output column names must differ; got {string.Join(", ", names)}.");
        MelSettings.Validate();
        if (MelSettings.MelChannels != modelMelChannels)
            throw new ArgumentException($"TextToMel: MelSettings.MelChannels is {MelSettings.MelChannels} but the Tacotron 2 model makes {modelMelChannels}-channel mels (n_mel_channels).", nameof(TextToMelOptions.MelSettings));
    }
}
