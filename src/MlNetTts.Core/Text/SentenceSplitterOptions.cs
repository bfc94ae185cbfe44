namespace MlNetTts.Text;

/// <summary>Settings of <see cref="SentenceSplitter"/>.</summary>
public sealed class SentenceSplitterOptions
{
    /// <summary>Default <see cref="MaxLength"/>: about the longest LJSpeech transcript.</summary>
    public const int DefaultMaxLength = 200;

    /// <summary>
    /// Words (without their period, any case) after which a period never ends a sentence: the
    /// titles the cleaners expand plus a few common ones.
    /// </summary>
    public static IReadOnlyList<string> DefaultAbbreviations { get; } = Array.AsReadOnly(
        Text.Abbreviations.All.Select(a => a.Abbreviation)
            .Concat(["sr", "prof", "messrs", "mme", "mt", "vs", "e.g", "i.e", "cf", "fig", "approx", "dept"])
            .ToArray());

    /// <summary>
    /// Longest piece, in UTF-16 characters of the input text (before cleaning, which lengthens
    /// numbers). Longer sentences are cut at a clause mark (',', ';', ':'), else at a space, else
    /// hard. At least 1.
    /// </summary>
    public int MaxLength { get; init; } = DefaultMaxLength;

    /// <summary>Words after which a period is not a sentence end; see <see cref="DefaultAbbreviations"/>.</summary>
    public IReadOnlyCollection<string> Abbreviations { get; init; } = DefaultAbbreviations;
}
