using System.Text;
using MlNetTts.Text;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// The text front end (EnglishCleaners, TextEncoder, SentenceSplitter) on arbitrary input: random UTF-16 (unpaired
/// surrogates, control characters, every plane), "soups" of the characters its rules react to (braces, digits,
/// commas, periods, currency, abbreviations, newlines) and 1 MB strings. Each ends in a result or
/// <see cref="ArgumentException"/> (the documented refusal: a number the reference cannot spell), in time linear
/// in the input, with allocation proportional to it.
/// </summary>
[TestClass]
public sealed class TextFrontendFuzzTests
{
    public TestContext TestContext { get; set; } = null!;

    private const int DefaultSeed = 14;

    private static readonly SentenceSplitter Splitter = new();

    private static readonly string[] Atoms =
    [
        "{", "}", "{HH AW1}", "{", "}", "0", "1", "9", "12", ",", ".", ".", "$", "£", "%", "st", "th", "nd", "mr.", "Dr.", "St.",
        " ", " ", "\n", "\n\n", "\t", "\r", "a", "Z", "é", "…", "”", "\"", "'", "(", ")", "-", "\0", "\u0007", "\uD800", "\uDFFF",
        "😀", "\u200B", "\uFEFF", "ǅ", "İ", "ß", "中", "\u0301",
    ];

    [TestMethod]
    public void ArbitraryTextIsHandledOrRefusedCleanlyShortRun() => Run(iterations: 400, seed: DefaultSeed, maxLength: 2000);

    [TestMethod]
    [TestCategory("Fuzz")]
    public void ArbitraryTextIsHandledOrRefusedCleanly() => Run(FuzzBudget.Iterations(20_000), FuzzBudget.Seed(DefaultSeed), maxLength: 20_000);

    /// <summary>Inputs of a megabyte, each a shape that makes backtracking regexes or repeated copies quadratic.</summary>
    [TestMethod]
    public void MegabyteInputsFinishInLinearTime()
    {
        const int Size = 1 << 20;
        static string Repeat(string unit) => new StringBuilder(Size + unit.Length).Insert(0, unit, Size / unit.Length).ToString();
        var random = new Random(DefaultSeed);
        var inputs = new (string How, string Text)[]
        {
            ("digits", Repeat("1")),
            ("digits then 'st'", Repeat("1") + "st"),
            ("digits and commas", Repeat("1,")),
            ("commas after one digit", "1" + Repeat(",")),
            ("dollar and digits", "$" + Repeat("1")),
            ("digits and periods", Repeat("1.")),
            ("open braces", Repeat("{")),
            ("brace groups", Repeat("{AH0}")),
            ("braces then a line", Repeat("{") + "\n" + Repeat("}")),
            ("abbreviations", Repeat("mr. ")),
            ("periods", Repeat(".")),
            ("initials", Repeat("a. ")),
            ("newlines", Repeat("\n")),
            ("spaces", Repeat(" ")),
            ("one long word", Repeat("a")),
            ("random UTF-16", RandomText(random, Size, Atoms, atomShare: 0)),
            ("soup", RandomText(random, Size, Atoms, atomShare: 1)),
        };
        var report = FuzzLoop.Run("text front end, 1 MB inputs", inputs.Length, DefaultSeed,
            (_, i) => new FuzzLoop.Input<string>(inputs[i].Text, inputs[i].How, inputs[i].Text.Length * 2L),
            Attempt, Documented,
            perInput: TimeSpan.FromSeconds(20), total: TimeSpan.FromMinutes(3), AllocationBound);
        TestContext.WriteLine(report.ToString());
    }

    private void Run(int iterations, int seed, int maxLength)
    {
        var report = FuzzLoop.Run("text front end", iterations, seed,
            (random, i) =>
            {
                int length = random.Next(maxLength);
                var text = RandomText(random, length, Atoms, atomShare: i % 3 / 2.0);
                return new FuzzLoop.Input<string>(text, $"{length} chars, kind {i % 3}", text.Length * 2L);
            },
            Attempt, Documented,
            perInput: TimeSpan.FromSeconds(2), total: FuzzBudget.Limit(iterations, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(60)),
            AllocationBound);
        TestContext.WriteLine(report.ToString());
        Assert.IsGreaterThan(iterations / 2, report.Succeeded, report.ToString());
    }

    private static void Attempt(string text)
    {
        var sentences = Splitter.Split(text);
        foreach (var s in sentences)
            if (s.Length > Splitter.Options.MaxLength || s.Length == 0) throw new AssertFailedException($"sentence of {s.Length} characters");
        var cleaned = EnglishCleaners.Clean(text);
        var ids = TextEncoder.TextToSequence(text);
        if (ids.Any(id => id < 0 || id >= Symbols.Count)) throw new AssertFailedException("an id outside the symbol table");
        _ = TextEncoder.SequenceToText(ids);
        _ = cleaned;
    }

    private static string? Documented(Exception e) => e is ArgumentException && e is not ArgumentNullException ? FuzzLoop.Kind(e) : null;

    /// <summary>Text expands when cleaned (numbers spelled out, transliteration): a generous linear bound, not a quadratic one.</summary>
    private static long AllocationBound(long bytes) => 1000 * bytes + (16 << 20);

    /// <summary>Random UTF-16 code units (any value) mixed with <paramref name="atoms"/> in the given share.</summary>
    private static string RandomText(Random random, int length, string[] atoms, double atomShare)
    {
        var text = new StringBuilder(length + 16);
        while (text.Length < length)
        {
            if (random.NextDouble() < atomShare) text.Append(atoms[random.Next(atoms.Length)]);
            else text.Append((char)random.Next(random.Next(4) == 0 ? 0x10000 : 0x80));
        }
        return text.ToString();
    }
}
