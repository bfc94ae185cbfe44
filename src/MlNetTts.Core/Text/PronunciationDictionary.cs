using System.Text;
using System.Text.RegularExpressions;

namespace MlNetTts.Text;

/// <summary>
/// Word pronunciations in CMUdict's format, and text rewritten with them as ARPAbet in curly braces, which
/// <see cref="TextEncoder"/> passes through as phones: "the navy." becomes "{DH AH} {N EY V IY}.". A model trained on
/// such text reads a word's phones instead of guessing them from its letters (the reference's cmudict.py and its
/// curly-brace input); words the dictionary lacks stay letters.
/// <para>
/// Format: one entry a line, "WORD PH PH ..." (case-insensitive word; phones with or without stress digits);
/// "WORD(2) ..." lines are alternatives, and the first pronunciation of a word is the one used; lines starting with
/// ";;;" and anything after '#' are comments. Every phone must be one of <see cref="Symbols.ArpabetPhones"/>.
/// </para>
/// </summary>
public sealed partial class PronunciationDictionary
{
    private readonly Dictionary<string, string> _phones;

    private PronunciationDictionary(Dictionary<string, string> phones) => _phones = phones;

    /// <summary>Number of words with a pronunciation.</summary>
    public int Count => _phones.Count;

    /// <summary>Reads a CMUdict-format file; fails naming the file and line of the first malformed entry.</summary>
    public static PronunciationDictionary Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No pronunciation dictionary at '{path}'.", path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, path);
    }

    /// <summary>Reads CMUdict-format entries; <paramref name="source"/> names the input in errors.</summary>
    public static PronunciationDictionary Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var valid = new HashSet<string>(Symbols.ArpabetPhones, StringComparer.Ordinal);
        var phones = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (line.StartsWith(";;;", StringComparison.Ordinal)) continue;
            int hash = line.IndexOf('#');
            var fields = (hash >= 0 ? line[..hash] : line).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length == 1)
                throw new InvalidDataException($"{source}:{number}: '{fields[0]}' has no phones; expected \"WORD PH PH ...\".");
            foreach (var phone in fields.AsSpan(1))
                if (!valid.Contains(phone))
                    throw new InvalidDataException($"{source}:{number}: '{phone}' is not an ARPAbet phone (expected one of CMUdict's, e.g. AH0, N, EY1).");
            var word = Variant().Replace(fields[0], "").ToLowerInvariant();
            phones.TryAdd(word, string.Join(' ', fields.Skip(1))); // the first pronunciation wins
        }
        if (phones.Count == 0) throw new InvalidDataException($"{source}: no entries; expected lines \"WORD PH PH ...\".");
        return new PronunciationDictionary(phones);
    }

    /// <summary>Writes the entries in the format <see cref="Read"/> reads (one pronunciation per word).</summary>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var (word, phones) in _phones) writer.Write($"{word} {phones}\n");
    }

    /// <summary>The first pronunciation of <paramref name="word"/> (any case), phones separated by spaces.</summary>
    public bool TryGetPhones(string word, out string phones)
    {
        ArgumentNullException.ThrowIfNull(word);
        return _phones.TryGetValue(word.ToLowerInvariant(), out phones!);
    }

    /// <summary>
    /// <paramref name="text"/> cleaned as <see cref="TextEncoder"/> cleans it (english_cleaners: numbers and
    /// abbreviations spelled out, lower case), then each word the dictionary knows replaced by its phones in braces;
    /// spaces, punctuation, unknown words and brace groups already in the text are kept as they are.
    /// </summary>
    public string Transcribe(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new StringBuilder(text.Length * 2);
        int at = 0;
        foreach (Match group in BraceGroup().Matches(text))
        {
            TranscribePlain(text[at..group.Index], result);
            result.Append(group.Value);
            at = group.Index + group.Length;
        }
        TranscribePlain(text[at..], result);
        return result.ToString();
    }

    private void TranscribePlain(string plain, StringBuilder result)
    {
        if (plain.Length == 0) return;
        var cleaned = EnglishCleaners.Clean(plain);
        result.Append(Word().Replace(cleaned, m => TryGetPhones(m.Value, out var phones) ? "{" + phones + "}" : m.Value));
    }

    // Letters with inner apostrophes ("don't", "o'clock"); a leading or trailing apostrophe stays outside the word.
    [GeneratedRegex("[a-z]+(?:'[a-z]+)*")]
    private static partial Regex Word();

    // As TextEncoder reads braces: a group closes on its own line.
    [GeneratedRegex(@"\{[^}\n]+\}")]
    private static partial Regex BraceGroup();

    [GeneratedRegex(@"\(\d+\)$")]
    private static partial Regex Variant();
}
