using MlNetTts.Nn;
using MlNetTts.Text;

namespace MlNetTts.Tacotron2;

/// <summary>How <see cref="TextSynthesizer"/> turns texts into mels.</summary>
public sealed record TextSynthesisOptions
{
    /// <summary>The most draws per sentence <see cref="Candidates"/> allows.</summary>
    public const int MaxCandidates = 16;

    /// <summary>Whether <paramref name="candidates"/> is a number of draws <see cref="Candidates"/> allows (1 to <see cref="MaxCandidates"/>).</summary>
    public static bool IsValidCandidates(int candidates) => candidates is >= 1 and <= MaxCandidates;

    /// <summary>Sentences decoded together in one batched decoder pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Decoder step cap; null takes the model's max_decoder_steps.</summary>
    public int? MaxDecoderSteps { get; init; }

    /// <summary>Stop threshold on sigmoid(gate); null takes the model's gate_threshold.</summary>
    public double? GateThreshold { get; init; }

    /// <summary>The reference applies prenet dropout at inference too (true); false makes the output deterministic.</summary>
    public bool PrenetDropout { get; init; } = true;

    /// <summary>Float32, or Mixed (bf16 on CPU, fp16 on CUDA).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Texts longer than this many characters are split into sentences (0: never split).</summary>
    public int SentenceMaxLength { get; init; } = 200;

    /// <summary>Frames of silence between the sentences of one text.</summary>
    public int SentencePauseFrames { get; init; } = 17;

    /// <summary>Seeds torch's generator per decoder batch when prenet dropout is on, so runs are reproducible.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Draws decoded per sentence when the prenet dropout is on (it makes each draw different); the draw whose
    /// attention covers the most of the sentence is kept (<see cref="TextSynthesizer"/>). 1, the default, is the
    /// reference's single draw. The decoder runs the draws batched together, so its cost grows less than N-fold.
    /// </summary>
    public int Candidates { get; init; } = 1;

    /// <summary>
    /// For a model trained on text whose known words were ARPAbet (<c>train tacotron2 --pronunciations</c>): each
    /// sentence is rewritten with the same dictionary before encoding (<see cref="PronunciationDictionary.Transcribe"/>).
    /// Null, the default, reads the letters as the reference does.
    /// </summary>
    public PronunciationDictionary? Pronunciations { get; init; }

    /// <summary>Stops synthesis within one decoder step of a cancellation request, with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1.");
        if (MaxDecoderSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxDecoderSteps), MaxDecoderSteps, "must be at least 1 (or null for the model's max_decoder_steps).");
        if (GateThreshold is { } g && !(g > 0 && g < 1)) throw new ArgumentOutOfRangeException(nameof(GateThreshold), g, "must be in (0, 1) (or null for the model's gate_threshold).");
        if (!IsValidCandidates(Candidates)) throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, $"must be between 1 and {MaxCandidates}.");
        if (SentenceMaxLength < 0) throw new ArgumentOutOfRangeException(nameof(SentenceMaxLength), SentenceMaxLength, "must be 0 (no splitting) or positive.");
        if (SentencePauseFrames < 0) throw new ArgumentOutOfRangeException(nameof(SentencePauseFrames), SentencePauseFrames, "must not be negative.");
    }
}
