namespace MlNetTts.Text;

/// <summary>
/// Cuts long input into sentences a Tacotron 2 model can speak one at a time (the reference has no
/// splitter; long inputs make it skip or repeat words). A sentence ends at '.', '!', '?' or '…'
/// (with any closing quotes or brackets) followed by whitespace, and at blank lines. A period does
/// not end a sentence after an abbreviation ("Dr.", "St.", see <see cref="SentenceSplitterOptions.Abbreviations"/>),
/// after a single-letter initial ("J. Smith"), after a dotted initialism unless a capital follows
/// ("a.m. today" stays, "the U.S. The" splits), or inside a number ("3.5", "$3.50": no space follows).
/// ARPAbet groups in braces are never cut. A sentence longer than
/// <see cref="SentenceSplitterOptions.MaxLength"/> is cut further at its last clause mark, else its
/// last space, within the limit. Pieces are trimmed; empty ones are left out.
/// </summary>
public sealed class SentenceSplitter
{
    private const string Terminators = ".!?…";
    private const string Closers = "\"')]”’»";
    private const string Openers = "\"'([{“‘«";
    private const string ClauseMarks = ",;:";

    private readonly HashSet<string> _abbreviations;

    public SentenceSplitter(SentenceSplitterOptions? options = null)
    {
        Options = options ?? new SentenceSplitterOptions();
        if (Options.MaxLength < 1)
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxLength, "SentenceSplitterOptions.MaxLength must be at least 1.");
        ArgumentNullException.ThrowIfNull(Options.Abbreviations, "options.Abbreviations");
        _abbreviations = new HashSet<string>(Options.Abbreviations.Select(a => a.TrimEnd('.')), StringComparer.OrdinalIgnoreCase);
    }

    public SentenceSplitterOptions Options { get; }

    /// <summary>The sentences of <paramref name="text"/>, each at most MaxLength characters long.</summary>
    public IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<string>();
        foreach (var sentence in Sentences(text))
        {
            // Offsets into one trimmed copy: cutting by copying the rest made long input quadratic.
            var rest = sentence.Trim();
            var start = 0;
            while (rest.Length - start > Options.MaxLength)
            {
                var cut = CutPoint(rest, start, Options.MaxLength);
                var piece = rest.Substring(start, cut).TrimEnd();
                if (piece.Length > 0) pieces.Add(piece);
                start += cut;
                while (start < rest.Length && char.IsWhiteSpace(rest[start])) start++;
            }
            if (start < rest.Length) pieces.Add(rest[start..]);
        }
        return pieces;
    }

    private IEnumerable<string> Sentences(string text)
    {
        var start = 0;
        var i = 0;
        var unclosedUntil = -1; // a '{' before this line end found no '}': none after it on that line will
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '{' && i >= unclosedUntil && ClosingBrace(text, i, out unclosedUntil) is var close && close > 0)
            {
                i = close + 1;
            }
            else if (c == '\n' && BlankLineEnd(text, i) is var runEnd && runEnd > 0)
            {
                yield return text[start..i];
                start = i = runEnd;
            }
            else if (Terminators.Contains(c))
            {
                var last = i;
                while (last + 1 < text.Length && Terminators.Contains(text[last + 1])) last++;
                var after = last + 1;
                while (after < text.Length && Closers.Contains(text[after])) after++;
                if ((after == text.Length || PythonText.IsWhitespace(text[after])) && EndsSentence(text, i, last, after))
                {
                    yield return text[start..after];
                    start = after;
                }
                i = after;
            }
            else i++;
        }
        if (start < text.Length) yield return text[start..];
    }

    private bool EndsSentence(string text, int first, int last, int after)
    {
        var next = after;
        while (next < text.Length && PythonText.IsWhitespace(text[next])) next++;
        if (next == text.Length) return true;
        var nextIsLower = char.IsLower(text[next]);

        var ellipsis = last > first || text[first] == '…';
        if (ellipsis) return !nextIsLower;
        if (text[first] != '.') return true; // '!' or '?'

        var wordStart = first;
        while (wordStart > 0 && !PythonText.IsWhitespace(text[wordStart - 1]) && !Openers.Contains(text[wordStart - 1])) wordStart--;
        var word = text[wordStart..first];
        if (word.Length == 0) return true;
        if (_abbreviations.Contains(word)) return false;
        if (word.Length == 1 && char.IsLetter(word[0])) return false; // an initial
        if (word.Contains('.') && word.All(ch => ch == '.' || char.IsLetter(ch))) return char.IsUpper(text[next]); // U.S., a.m.
        return true;
    }

    // A brace group closes on its own line, as in the encoder's regex. Without one, lineEnd is where the search stopped.
    private static int ClosingBrace(string text, int open, out int lineEnd)
    {
        var j = open + 1;
        for (; j < text.Length && text[j] != '\n'; j++)
            if (text[j] == '}')
            {
                lineEnd = -1;
                return j;
            }
        lineEnd = j;
        return -1;
    }

    // End of the whitespace run at a newline when the run holds a second newline (a blank line), else -1.
    private static int BlankLineEnd(string text, int newline)
    {
        var newlines = 0;
        var j = newline;
        while (j < text.Length && PythonText.IsWhitespace(text[j]))
        {
            if (text[j] == '\n') newlines++;
            j++;
        }
        return newlines >= 2 ? j : -1;
    }

    // Where to cut text[offset..] (a length of at most max); only positions up to max are looked at, so brace
    // groups are marked in that window alone (a group opened in it may close beyond it).
    private static int CutPoint(string whole, int offset, int max)
    {
        var length = whole.Length - offset;
        var window = Math.Min(max, length - 1);
        var inBraces = new bool[window + 1];
        for (var i = 0; i <= window; i++)
        {
            if (whole[offset + i] != '{') continue;
            var close = ClosingBrace(whole, offset + i, out var lineEnd) - offset;
            if (close < 0)
            {
                i = lineEnd - offset; // no '{' before this line's end has a '}' on the line
                continue;
            }
            for (var j = i; j <= Math.Min(close, window); j++) inBraces[j] = true;
            i = close; // a '{' inside the group closes at the same '}'
        }

        char At(int p) => whole[offset + p];
        // Prefer the last clause mark followed by a space, unless it leaves a stub of under a third.
        for (var p = window; p >= Math.Max(1, max / 3); p--)
            if (ClauseMarks.Contains(At(p - 1)) && PythonText.IsWhitespace(At(p)) && !inBraces[p]) return p;
        for (var p = window; p >= 1; p--)
            if (PythonText.IsWhitespace(At(p)) && !inBraces[p]) return p;
        return char.IsHighSurrogate(At(max - 1)) && max > 1 ? max - 1 : max; // one long word: cut it
    }
}
