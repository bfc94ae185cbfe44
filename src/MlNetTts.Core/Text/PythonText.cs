using System.Text;
using System.Text.RegularExpressions;

namespace MlNetTts.Text;

/// <summary>
/// Python string semantics the reference relies on and .NET spells differently: Python's
/// whitespace (str.isspace, regex \s) also counts U+001C..U+001F, which .NET does not.
/// </summary>
internal static class PythonText
{
    // str.isspace() == .NET char.IsWhiteSpace plus the four information separators.
    private const string WhitespaceClass = @"[\t\n\v\f\r\x1C-\x1F \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

    private static readonly Regex WhitespaceRun = new(WhitespaceClass + "+", RegexOptions.CultureInvariant);

    public static bool IsWhitespace(char c) => char.IsWhiteSpace(c) || c is >= '\x1C' and <= '\x1F';

    /// <summary>re.sub(r'\s+', ' ', text): every whitespace run becomes one space; nothing is trimmed.</summary>
    public static string CollapseWhitespace(string text) => WhitespaceRun.Replace(text, " ");

    /// <summary>str.split() without arguments: split on whitespace runs, no empty parts.</summary>
    public static List<string> SplitOnWhitespace(string text)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (IsWhitespace(c))
            {
                if (current.Length > 0) parts.Add(current.ToString());
                current.Clear();
            }
            else current.Append(c);
        }
        if (current.Length > 0) parts.Add(current.ToString());
        return parts;
    }
}
