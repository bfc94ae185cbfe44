using System.Globalization;

namespace MlNetTts.Cli.Synthesis;

/// <summary>One utterance to speak: one output WAV.</summary>
/// <param name="Name">Output file name without extension (line number or id).</param>
/// <param name="Text">What to say.</param>
internal sealed record SynthesisLine(string Name, string Text)
{
    /// <summary>
    /// Utterances from lines of text: blank lines are skipped; names are <c>&lt;prefix&gt;&lt;line number, 3+ digits&gt;</c>, or,
    /// with <paramref name="idColumn"/>, the text before the first '|' (then the rest is the text).
    /// </summary>
    /// <exception cref="InvalidDataException">A line without an id, an id that is not a plain file name, or an id given twice; the message names the source and line.</exception>
    public static IReadOnlyList<SynthesisLine> FromLines(IEnumerable<string> lines, string source, bool idColumn, string prefix)
    {
        var result = new List<SynthesisLine>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            string name, text;
            if (idColumn)
            {
                int bar = line.IndexOf('|', StringComparison.Ordinal);
                name = bar < 0 ? "" : line[..bar].Trim();
                text = bar < 0 ? "" : line[(bar + 1)..];
                if (name.Length == 0)
                    throw new InvalidDataException($"{source}, line {number}: expected 'id|text'.");
                if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
                    throw new InvalidDataException($"{source}, line {number}: id '{name}' is not a plain file name.");
            }
            else
            {
                name = prefix + number.ToString("000", CultureInfo.InvariantCulture);
                text = line;
            }
            if (!seen.Add(name))
                throw new InvalidDataException($"{source}, line {number}: id '{name}' was used before.");
            if (text.Trim().Length == 0)
                throw new InvalidDataException($"{source}, line {number}: no text to speak.");
            result.Add(new SynthesisLine(name, text.Trim()));
        }
        return result;
    }
}
