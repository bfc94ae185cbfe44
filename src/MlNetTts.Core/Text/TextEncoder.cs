using System.Text;
using System.Text.RegularExpressions;

namespace MlNetTts.Text;

/// <summary>
/// Text to symbol ids and back, as the reference's text_to_sequence(text, ['english_cleaners'])
/// and sequence_to_text (tacotron2/text/__init__.py).
/// <para>
/// ARPAbet in curly braces passes through as phones: "Turn left on {HH AW1 S S T AH0 N} Street."
/// The text outside the braces is cleaned piece by piece; inside, whitespace-separated phones
/// become '@'-symbols and unknown phones are dropped. Like the reference's regex, a brace group
/// must close on the same line, and after a brace group only the rest of that line is read.
/// Characters that are not symbols after cleaning ('"', '[', '&', ...) are dropped, and so is the
/// pad '_' (the reference means to drop it; see the fixture README, deviation 6). No end-of-sequence
/// symbol is added.
/// </para>
/// </summary>
public static class TextEncoder
{
    // _curly_re with re.match: '.' stops at '\n' in both Python and .NET.
    private static readonly Regex Curly = new(@"\A(.*?)\{(.+?)\}(.*)", RegexOptions.CultureInvariant);

    /// <summary>Symbol ids of <paramref name="text"/> (empty text gives an empty sequence).</summary>
    public static int[] TextToSequence(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sequence = new List<int>();
        while (text.Length > 0)
        {
            var match = Curly.Match(text);
            if (!match.Success)
            {
                AppendSymbols(sequence, EnglishCleaners.Clean(text));
                break;
            }
            AppendSymbols(sequence, EnglishCleaners.Clean(match.Groups[1].Value));
            AppendArpabet(sequence, match.Groups[2].Value);
            text = match.Groups[3].Value;
        }
        return sequence.ToArray();
    }

    /// <summary>
    /// The text of a symbol id sequence: phones come back in braces, adjacent phones share one
    /// pair ("{HH AH0}"); ids outside the table are skipped, as in the reference.
    /// </summary>
    public static string SequenceToText(IEnumerable<int> sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var result = new StringBuilder();
        foreach (var id in sequence)
        {
            if ((uint)id >= (uint)Symbols.Count) continue;
            var symbol = Symbols.All[id];
            if (Symbols.IsArpabet(symbol)) result.Append('{').Append(symbol, 1, symbol.Length - 1).Append('}');
            else result.Append(symbol);
        }
        return result.Replace("}{", " ").ToString();
    }

    private static void AppendSymbols(List<int> sequence, string cleaned)
    {
        foreach (var rune in cleaned.EnumerateRunes())
        {
            if (rune.Value >= 128) continue; // every symbol of one character is ASCII
            var id = Symbols.IdByAscii[rune.Value];
            if (id >= 0 && KeepSymbol(Symbols.All[id])) sequence.Add(id);
        }
    }

    private static void AppendArpabet(List<int> sequence, string phones)
    {
        foreach (var phone in PythonText.SplitOnWhitespace(phones))
            if (Symbols.TryGetId(Symbols.ArpabetPrefix + phone, out var id) && KeepSymbol(Symbols.All[id])) sequence.Add(id);
    }

    // _should_keep_symbol: the pad and '~' never enter a sequence.
    private static bool KeepSymbol(string symbol) => symbol != Symbols.Pad && symbol != "~";
}
