using System.Text.RegularExpressions;

namespace MlNetTts.Text;

/// <summary>
/// The reference's abbreviation expansion (tacotron2/text/cleaners.py): each abbreviation followed
/// by a period, at a word start and in any case, becomes its expansion, in this order. It runs
/// after number expansion and knows no context, so "St." is always "saint" and "Mrs.Smith" becomes
/// "misesssmith".
/// </summary>
public static class Abbreviations
{
    /// <summary>(abbreviation without its period, expansion), in the order they are applied.</summary>
    public static IReadOnlyList<(string Abbreviation, string Expansion)> All { get; } = Array.AsReadOnly(new[]
    {
        ("mrs", "misess"), ("mr", "mister"), ("dr", "doctor"), ("st", "saint"), ("co", "company"),
        ("jr", "junior"), ("maj", "major"), ("gen", "general"), ("drs", "doctors"), ("rev", "reverend"),
        ("lt", "lieutenant"), ("hon", "honorable"), ("sgt", "sergeant"), ("capt", "captain"),
        ("esq", "esquire"), ("ltd", "limited"), ("col", "colonel"), ("ft", "fort"),
    });

    private static readonly (Regex Pattern, string Expansion)[] Rules = All
        .Select(a => (new Regex(@"\b" + Regex.Escape(a.Abbreviation) + @"\.", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), a.Expansion))
        .ToArray();

    /// <summary>expand_abbreviations(text).</summary>
    public static string Expand(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var (pattern, expansion) in Rules) text = pattern.Replace(text, expansion.Replace("$", "$$", StringComparison.Ordinal));
        return text;
    }
}
