using System.Text;

namespace MlNetTts.Text;

/// <summary>
/// NVIDIA's transliteration to ASCII (common/text/unidecoder), the first step of
/// english_cleaners. It is not the Unidecode package: code points below 127 pass through, every
/// other code point is looked up in NVIDIA's replacement table, then its homoglyph table, and
/// dropped when neither has it (so '£', '—', '½', '°', emoji and CJK vanish; fullwidth '１' becomes
/// 'l'). Works one code point at a time, so surrogate pairs count as one character.
/// </summary>
public static class Unidecoder
{
    // One map, built like the reference's two dicts (a later entry for the same key wins), with
    // replacements laid over homoglyphs because the reference asks replacements first.
    private static readonly Dictionary<int, string> Map = BuildMap();

    /// <summary>Transliterates <paramref name="text"/> to ASCII as NVIDIA's unidecoder(text) does.</summary>
    public static string Transliterate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        StringBuilder? result = null;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value < 127)
            {
                result?.Append((char)rune.Value);
            }
            else
            {
                result ??= new StringBuilder(text.Length).Append(text, 0, index);
                if (Map.TryGetValue(rune.Value, out var ascii)) result.Append(ascii);
            }
            index += rune.Utf16SequenceLength;
        }
        return result?.ToString() ?? text;
    }

    /// <summary>The ASCII text a single code point becomes, or null where the reference drops it.</summary>
    public static string? Lookup(int codePoint) =>
        codePoint < 127 && codePoint >= 0 ? ((char)codePoint).ToString()
        : Map.TryGetValue(codePoint, out var ascii) ? ascii : null;

    private static Dictionary<int, string> BuildMap()
    {
        var map = new Dictionary<int, string>();
        foreach (var (ascii, glyphs) in UnidecoderTables.Homoglyphs)
            foreach (var glyph in glyphs)
                if (SingleCodePoint(glyph) is { } cp) map[cp] = ascii;
        var replacements = new Dictionary<int, string>();
        foreach (var (unicode, ascii) in UnidecoderTables.Replacements)
            if (SingleCodePoint(unicode) is { } cp) replacements[cp] = ascii; // multi-code-point keys never match
        foreach (var (cp, ascii) in replacements) map[cp] = ascii;
        return map;
    }

    private static int? SingleCodePoint(string s)
    {
        var e = s.EnumerateRunes();
        if (!e.MoveNext()) return null;
        var first = e.Current;
        return e.MoveNext() ? null : first.Value;
    }
}
