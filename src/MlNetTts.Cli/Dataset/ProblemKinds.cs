namespace MlNetTts.Cli.Dataset;

/// <summary>The kinds of dataset problem <c>prepare</c> reports (stable names for <c>--json</c> consumers).</summary>
internal static class ProblemKinds
{
    /// <summary>A listing line without the expected '|' fields (error).</summary>
    public const string MalformedLine = "malformed-line";

    /// <summary>An id listed twice (error).</summary>
    public const string DuplicateId = "duplicate-id";

    /// <summary>The audio file does not exist (error).</summary>
    public const string MissingAudio = "missing-audio";

    /// <summary>The audio file exists but cannot be read as WAV (error).</summary>
    public const string UnreadableAudio = "unreadable-audio";

    /// <summary>The audio's sample rate is not the expected one (error; <c>--resample-to</c> writes fixed copies).</summary>
    public const string WrongSampleRate = "wrong-sample-rate";

    /// <summary>The transcript is empty, or nothing of it is left after cleaning (error).</summary>
    public const string EmptyText = "empty-text";

    /// <summary>The transcript has characters the symbol set drops after cleaning (warning).</summary>
    public const string DroppedCharacters = "dropped-characters";

    /// <summary>The clip has more mel frames than the decoder may produce (warning).</summary>
    public const string TooLong = "too-long";

    /// <summary>Silence at the start longer than allowed (warning).</summary>
    public const string LeadingSilence = "leading-silence";

    /// <summary>Silence at the end longer than allowed (warning).</summary>
    public const string TrailingSilence = "trailing-silence";

    /// <summary>No sample above the silence threshold (error).</summary>
    public const string Silent = "silent";
}
