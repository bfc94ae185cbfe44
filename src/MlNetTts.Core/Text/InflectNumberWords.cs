using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace MlNetTts.Text;

/// <summary>
/// number_to_words of the Python package inflect 2.1.0, the version the reference pins, with its
/// quirks kept: words are built by regex passes over the digit string (padding spaces and
/// ", " separators included) and tidied afterwards, "and" goes before the last group only when it
/// is a bare word ("one thousand and one"), group=2 reads digit pairs ("nineteen oh five"),
/// ordinals rewrite the last word. Numbers past the decillions (more than 36 digits) are rejected,
/// as inflect rejects them.
/// </summary>
internal sealed class InflectNumberWords
{
    /// <summary>Most significant digits a number may have: the last scale word is the decillion (10^33).</summary>
    internal const int MaxDigits = 36;

    private static readonly string[] Unit = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    private static readonly string[] Teen = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Ten = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    private static readonly string[] Mill =
    [
        " ", " thousand", " million", " billion", " trillion", " quadrillion", " quintillion",
        " sextillion", " septillion", " octillion", " nonillion", " decillion",
    ];

    // inflect's ordinal dict, in its order (the order of the regex alternation).
    private static readonly (string Word, string Ordinal)[] Ordinals =
    [
        ("ty", "tieth"), ("one", "first"), ("two", "second"), ("three", "third"),
        ("five", "fifth"), ("eight", "eighth"), ("nine", "ninth"), ("twelve", "twelfth"),
    ];

    private const RegexOptions Options = RegexOptions.CultureInvariant;
    private static readonly Regex OrdinalSuffix = new("(" + string.Join("|", Ordinals.Select(o => o.Word)) + @")\z", Options);
    private static readonly Regex NonDigit = new(@"[^0-9]", Options);
    private static readonly Regex OneDigit = new(@"([0-9])", Options);
    private static readonly Regex TwoDigits = new(@"([0-9])([0-9])", Options);
    private static readonly Regex ThreeDigits = new(@"([0-9])([0-9])([0-9])", Options);
    private static readonly Regex LastThree = new(@"([0-9])([0-9])([0-9])(?=[^0-9]*\z)", Options);
    private static readonly Regex LastTwo = new(@"([0-9])([0-9])(?=[^0-9]*\z)", Options);
    private static readonly Regex LastOne = new(@"([0-9])(?=[^0-9]*\z)", Options);
    private static readonly Regex SpaceBeforeComma = new(@"\s+,", Options);
    private static readonly Regex LastBareGroup = new(@", (\S+)\s+\z", Options);
    private static readonly Regex SpaceRun = new(@"\s+", Options);

    private const string Comma = ",";
    private const string Decimal = "point";

    private readonly string _andWord;
    private readonly string _zero;
    private readonly string _one;
    private int _millCount;

    private InflectNumberWords(string andWord, string zero, string one)
    {
        _andWord = andWord;
        _zero = zero;
        _one = one;
    }

    /// <summary>inflect.engine().number_to_words(number, group, andword=andWord, zero=zero, one=one) for a non-negative integer.</summary>
    public static string ToWords(BigInteger number, int group = 0, string andWord = "and", string zero = "zero", string one = "one") =>
        ToWords(number.ToString(CultureInfo.InvariantCulture), group, andWord, zero, one);

    /// <summary>
    /// inflect.engine().number_to_words(text, ...) for the text forms the reference passes:
    /// digits, optionally with a decimal point and an ordinal suffix ("21st").
    /// </summary>
    public static string ToWords(string number, int group = 0, string andWord = "and", string zero = "zero", string one = "one")
    {
        if (string.IsNullOrEmpty(number)) throw new ArgumentException("a number is needed.", nameof(number));
        if (group is < 0 or > 3) throw new ArgumentOutOfRangeException(nameof(group), group, "inflect groups digits by 0 (no grouping), 1, 2 or 3.");
        return new InflectNumberWords(andWord, zero, one).Convert(number, group);
    }

    // FirstChunk mirrors inflect's tri-state 'first' (1, '' and 0).
    private enum FirstChunk { Pending, Done, Missing }

    private string Convert(string num, int group)
    {
        var nowhite = num.TrimStart();
        var sign = nowhite.Length > 0 && nowhite[0] == '+' ? "plus" : nowhite.Length > 0 && nowhite[0] == '-' ? "minus" : "";

        var isOrdinal = num.Length >= 2 && num[^2..] is "st" or "nd" or "rd" or "th";
        if (isOrdinal) num = num[..^2];

        var chunks = (group != 0 ? num.Split('.') : num.Split('.', 2)).ToList();
        var finalPoint = false;
        if (chunks[^1].Length == 0)
        {
            chunks.RemoveAt(chunks.Count - 1);
            finalPoint = true;
        }

        var first = FirstChunk.Pending;
        var loopStart = 0;
        if (chunks.Count > 0 && chunks[0].Length == 0)
        {
            first = FirstChunk.Missing;
            if (chunks.Count > 1) loopStart = 1;
        }

        for (var i = loopStart; i < chunks.Count; i++)
        {
            var chunk = NonDigit.Replace(chunks[i], "");
            if (chunk.Length == 0) chunk = "0";
            chunk = group == 0 && first != FirstChunk.Pending ? Enword(chunk, 1) : Enword(chunk, group);
            if (chunk.EndsWith(", ", StringComparison.Ordinal)) chunk = chunk[..^2];
            chunk = SpaceBeforeComma.Replace(chunk, ",");
            if (group == 0 && first == FirstChunk.Pending)
                chunk = LastBareGroup.Replace(chunk, m => " " + _andWord + " " + m.Groups[1].Value);
            chunk = SpaceRun.Replace(chunk, " ").Trim();
            if (first == FirstChunk.Pending) first = FirstChunk.Done;
            chunks[i] = chunk;
        }

        var words = new List<string>();
        if (first != FirstChunk.Missing && chunks.Count > 0) words.AddRange(chunks[0].Split(Comma + " "));

        if (isOrdinal && words.Count > 0)
        {
            var last = words[^1];
            var match = OrdinalSuffix.Match(last);
            words[^1] = match.Success
                ? last[..match.Index] + Ordinals.First(o => o.Word == match.Groups[1].Value).Ordinal
                : last + "th";
        }

        foreach (var chunk in chunks.Skip(1))
        {
            words.Add(Decimal);
            words.AddRange(chunk.Split(Comma + " "));
        }
        if (finalPoint) words.Add(Decimal);

        var signOut = sign.Length > 0 ? sign + " " : "";
        if (group != 0) return signOut + string.Join(", ", words);

        var result = signOut + words[0];
        var useComma = !result.EndsWith(Decimal, StringComparison.Ordinal);
        foreach (var word in words.Skip(1))
        {
            if (word == Decimal)
            {
                result += " " + word;
                useComma = false;
            }
            else result += useComma ? Comma + " " + word : " " + word;
        }
        return result;
    }

    private string Enword(string num, int group)
    {
        switch (group)
        {
            case 1:
                return OneDigit.Replace(num, Group1);
            case 2:
                num = TwoDigits.Replace(num, Group2);
                return OneDigit.Replace(num, Group1B, 1);
            case 3:
                num = ThreeDigits.Replace(num, Group3);
                num = TwoDigits.Replace(num, Group2, 1);
                return OneDigit.Replace(num, Group1, 1);
        }
        if (num.AsSpan().TrimStart('0').Length > MaxDigits) throw TooLarge(); // before parsing: a huge BigInteger parse is slow
        var value = BigInteger.Parse(num, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value.IsZero) return _zero;
        if (value.IsOne) return _one;
        num = num.TrimStart().TrimStart('0');
        _millCount = 0;
        while (LastThree.IsMatch(num)) num = LastThree.Replace(num, HundredsGroup, 1);
        num = LastTwo.Replace(num, m => TensWords(Digit(m, 1), Digit(m, 2), _millCount) + ", ", 1);
        num = LastOne.Replace(num, m => Unit[Digit(m, 1)] + MillionsWord(_millCount) + ", ", 1);
        return num;
    }

    private static int Digit(Match m, int group) => m.Groups[group].Value[0] - '0';

    private static string MillionsWord(int index) =>
        index < Mill.Length ? Mill[index]
        : throw TooLarge();

    private static OverflowException TooLarge() =>
        new($"number out of range: number words stop at the decillions ({MaxDigits} digits), as in inflect.");

    private static string TensWords(int tens, int units, int millIndex = 0) =>
        tens != 1
            ? Ten[tens] + (tens != 0 && units != 0 ? "-" : "") + Unit[units] + MillionsWord(millIndex)
            : Teen[units] + MillionsWord(millIndex);

    private string HundredsGroup(Match m)
    {
        int hundreds = Digit(m, 1), tens = Digit(m, 2), units = Digit(m, 3);
        var millIndex = _millCount++;
        if (hundreds != 0)
        {
            var and = tens != 0 || units != 0 ? " " + _andWord + " " : "";
            return Unit[hundreds] + " hundred" + and + TensWords(tens, units) + MillionsWord(millIndex) + ", ";
        }
        if (tens != 0 || units != 0) return TensWords(tens, units) + MillionsWord(millIndex) + ", ";
        return "";
    }

    private string Group1(Match m)
    {
        var units = Digit(m, 1);
        return units == 1 ? " " + _one + ", " : units != 0 ? Unit[units] + ", " : " " + _zero + ", ";
    }

    private string Group1B(Match m)
    {
        var units = Digit(m, 1);
        return units != 0 ? Unit[units] + ", " : " " + _zero + ", ";
    }

    private string Group2(Match m)
    {
        int tens = Digit(m, 1), units = Digit(m, 2);
        if (tens != 0) return TensWords(tens, units) + ", ";
        return units != 0 ? " " + _zero + " " + Unit[units] + ", " : " " + _zero + " " + _zero + ", ";
    }

    private string Group3(Match m)
    {
        int hundreds = Digit(m, 1), tens = Digit(m, 2), units = Digit(m, 3);
        var hundredWord = hundreds == 1 ? " " + _one : hundreds != 0 ? Unit[hundreds] : " " + _zero;
        var tenWord = tens != 0 ? TensWords(tens, units)
            : units != 0 ? " " + _zero + " " + Unit[units]
            : " " + _zero + " " + _zero;
        return hundredWord + " " + tenWord + ", ";
    }
}
