using System.Text;

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
    /// <summary>Symbol ids of <paramref name="text"/> (empty text gives an empty sequence).</summary>
    public static int[] TextToSequence(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sequence = new List<int>();
        // The reference loops re.match(r'(.*?)\{(.+?)\}(.*)', text) and goes on with group 3. Done with indexes into
        // the one string: the regex retried a lazy group at every '{' (quadratic on a line of open braces) and each
        // step copied the rest of the text (quadratic in the number of brace groups).
        int start = 0, end = text.Length;
        bool oneLine = false; // after a match, [start, end) is the rest of one line: no '\n' to look for
        while (start < end)
        {
            if (!TryMatchCurly(text, start, end, oneLine, out int open, out int close, out int lineEnd))
            {
                AppendSymbols(sequence, EnglishCleaners.Clean(text[start..end]));
                break;
            }
            AppendSymbols(sequence, EnglishCleaners.Clean(text[start..open]));
            AppendArpabet(sequence, text[(open + 1)..close]);
            start = close + 1;
            end = lineEnd; // group 3 is '(.*)': the rest of this line only
            oneLine = true;
        }
        return sequence.ToArray();
    }

    /// <summary>
    /// Symbol ids of <paramref name="text"/> with the words <paramref name="pronunciations"/> knows read as their phones
    /// (<see cref="PronunciationDictionary.Transcribe"/>); null reads letters, as <see cref="TextToSequence(string)"/>.
    /// </summary>
    public static int[] TextToSequence(string text, PronunciationDictionary? pronunciations) =>
        TextToSequence(pronunciations is null ? text : pronunciations.Transcribe(text));

    /// <summary>
    /// _curly_re matched at <paramref name="start"/> ('.' stops at '\n'): group 1 runs to the first '{' of the line,
    /// group 2 from there to the first '}' at least one character later on the same line, group 3 to the line's end.
    /// (If the first '{' has no such '}', no later '{' of the line can have one either.)
    /// </summary>
    private static bool TryMatchCurly(string text, int start, int end, bool oneLine, out int open, out int close, out int lineEnd)
    {
        lineEnd = oneLine ? -1 : text.IndexOf('\n', start, end - start);
        if (lineEnd < 0) lineEnd = end;
        open = text.IndexOf('{', start, lineEnd - start);
        close = open >= 0 && open + 2 <= lineEnd ? text.IndexOf('}', open + 2, lineEnd - open - 2) : -1;
        return close >= 0;
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
