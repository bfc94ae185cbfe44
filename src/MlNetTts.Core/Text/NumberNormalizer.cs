using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace MlNetTts.Text;

/// <summary>
/// The reference's normalize_numbers (tacotron2/text/numbers.py): spells out the numbers of
/// lower-case ASCII text, in the reference's order of passes —
/// <list type="number">
/// <item>commas inside digit runs are removed ("1,000,000" → "1000000");</item>
/// <item>"£2" → "2 pounds" (dead in english_cleaners, whose transliteration already dropped '£');</item>
/// <item>"$3.50" → "3 dollars, 50 cents", "$1" → "1 dollar", "$.75" → "75 cents", "$0" → "zero dollars",
///   more than one '.' → "3.50.10 dollars";</item>
/// <item>"3.14" → "3 point 14";</item>
/// <item>ordinals "21st" → "twenty-first" (inflect, with "and": "101st" → "one hundred and first");</item>
/// <item>every other digit run: 1001..2999 read as a year ("nineteen oh five", "twelve hundred",
///   "two thousand nine" for 2001..2009, "two thousand"), everything else as a cardinal without
///   "and" ("one hundred one", "twelve thousand, three hundred forty-five").</item>
/// </list>
/// </summary>
public static class NumberNormalizer
{
    private const RegexOptions Options = RegexOptions.CultureInvariant;
    private static readonly Regex CommaNumber = new(@"([0-9][0-9,]+[0-9])", Options);
    private static readonly Regex Pounds = new(@"£([0-9,]*[0-9]+)", Options);
    private static readonly Regex Dollars = new(@"\$([0-9.,]*[0-9]+)", Options);
    // (?<![0-9]): a match can only start where a digit run starts. Same matches as the reference's patterns (a start
    // inside a run fails wherever the run's start fails, and matches end at a run's end), but a long digit run is
    // scanned once instead of once per digit (quadratic: minutes for a megabyte of digits).
    private static readonly Regex DecimalNumber = new(@"(?<![0-9])([0-9]+\.[0-9]+)", Options);
    private static readonly Regex Ordinal = new(@"(?<![0-9])[0-9]+(st|nd|rd|th)", Options);
    private static readonly Regex Number = new(@"[0-9]+", Options);

    /// <summary>
    /// normalize_numbers(text). Throws <see cref="ArgumentException"/> where the reference raises:
    /// a number of more than 36 digits, or a dollar amount Python's int() rejects ("$1,.5").
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            text = CommaNumber.Replace(text, m => m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal));
            text = Pounds.Replace(text, "$1 pounds");
            text = Dollars.Replace(text, ExpandDollars);
            text = DecimalNumber.Replace(text, m => m.Groups[1].Value.Replace(".", " point ", StringComparison.Ordinal));
            text = Ordinal.Replace(text, m => InflectNumberWords.ToWords(m.Value));
            return Number.Replace(text, m => ExpandNumber(ParseInt(m.Value)));
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            throw new ArgumentException($"cannot spell out the numbers of \"{Shorten(text)}\": {e.Message}", nameof(text), e);
        }
    }

    /// <summary>How the reference reads a bare integer (the year forms included).</summary>
    public static string SpellNumber(BigInteger number)
    {
        if (number.Sign < 0) throw new ArgumentOutOfRangeException(nameof(number), number, "the reference only reads digit runs (non-negative).");
        return ExpandNumber(number);
    }

    private static string ExpandDollars(Match m)
    {
        var amount = m.Groups[1].Value;
        var parts = amount.Split('.');
        if (parts.Length > 2) return amount + " dollars"; // unexpected format, left to the decimal pass
        var dollars = parts[0].Length > 0 ? ParseInt(parts[0]) : BigInteger.Zero;
        var cents = parts.Length > 1 && parts[1].Length > 0 ? ParseInt(parts[1]) : BigInteger.Zero;
        var dollarUnit = dollars.IsOne ? "dollar" : "dollars";
        var centUnit = cents.IsOne ? "cent" : "cents";
        if (!dollars.IsZero && !cents.IsZero) return $"{Format(dollars)} {dollarUnit}, {Format(cents)} {centUnit}";
        if (!dollars.IsZero) return $"{Format(dollars)} {dollarUnit}";
        if (!cents.IsZero) return $"{Format(cents)} {centUnit}";
        return "zero dollars";
    }

    private static string ExpandNumber(BigInteger num)
    {
        if (num > 1000 && num < 3000)
        {
            if (num == 2000) return "two thousand";
            if (num > 2000 && num < 2010) return "two thousand " + InflectNumberWords.ToWords(num % 100);
            if (num % 100 == 0) return InflectNumberWords.ToWords(num / 100) + " hundred";
            return InflectNumberWords.ToWords(num, group: 2, andWord: "", zero: "oh").Replace(", ", " ", StringComparison.Ordinal);
        }
        return InflectNumberWords.ToWords(num, andWord: "");
    }

    // Python's int(s) for what these patterns capture: ASCII digits only, anything else is an error. A number of more
    // than 36 significant digits can never be spelled (inflect stops at the decillions), so it is refused before
    // parsing: parsing a megabyte of digits into a BigInteger takes minutes.
    private static BigInteger ParseInt(string digits)
    {
        if (digits.AsSpan().TrimStart('0').Length > InflectNumberWords.MaxDigits)
            throw new OverflowException($"number out of range: number words stop at the decillions ({InflectNumberWords.MaxDigits} digits), as in inflect.");
        return BigInteger.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
            : throw new FormatException($"invalid literal for int() with base 10: '{Shorten(digits)}'");
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static string Format(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
