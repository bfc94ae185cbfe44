namespace MlNetTts.Text;

/// <summary>
/// The 148 input symbols of NVIDIA's Tacotron 2, in the reference order (tacotron2/text/symbols.py):
/// pad <c>_</c>, special <c>-</c>, punctuation, letters, then the 84 ARPAbet phones of CMUdict
/// prefixed with <c>@</c>. A symbol's position in <see cref="All"/> is its id (the row of the
/// embedding table), so this order must never change.
/// </summary>
public static class Symbols
{
    /// <summary>The padding symbol (id 0). Text never produces it: the reference drops it.</summary>
    public const string Pad = "_";

    /// <summary>The special symbol (id 1).</summary>
    public const string Special = "-";

    /// <summary>Punctuation symbols (ids 2..11), space included.</summary>
    public const string Punctuation = "!'(),.:;? ";

    /// <summary>Upper- then lower-case ASCII letters (ids 12..63).</summary>
    public const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Prefix that keeps ARPAbet phones apart from letters ("@AA" vs "A").</summary>
    public const string ArpabetPrefix = "@";

    /// <summary>Id of <see cref="Pad"/>.</summary>
    public const int PadId = 0;

    /// <summary>The CMUdict phone set (cmudict.valid_symbols), without the prefix.</summary>
    public static IReadOnlyList<string> ArpabetPhones { get; } = Array.AsReadOnly(new[]
    {
        "AA", "AA0", "AA1", "AA2", "AE", "AE0", "AE1", "AE2", "AH", "AH0", "AH1", "AH2",
        "AO", "AO0", "AO1", "AO2", "AW", "AW0", "AW1", "AW2", "AY", "AY0", "AY1", "AY2",
        "B", "CH", "D", "DH", "EH", "EH0", "EH1", "EH2", "ER", "ER0", "ER1", "ER2",
        "EY", "EY0", "EY1", "EY2", "F", "G", "HH", "IH", "IH0", "IH1", "IH2", "IY", "IY0", "IY1", "IY2",
        "JH", "K", "L", "M", "N", "NG", "OW", "OW0", "OW1", "OW2", "OY", "OY0", "OY1", "OY2",
        "P", "R", "S", "SH", "T", "TH", "UH", "UH0", "UH1", "UH2", "UW", "UW0", "UW1", "UW2",
        "V", "W", "Y", "Z", "ZH",
    });

    /// <summary>Every symbol; the index is the id.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(
        new[] { Pad, Special }
            .Concat(Punctuation.Select(c => c.ToString()))
            .Concat(Letters.Select(c => c.ToString()))
            .Concat(ArpabetPhones.Select(p => ArpabetPrefix + p))
            .ToArray());

    /// <summary>Number of symbols (the size of the encoder's embedding table).</summary>
    public static int Count => All.Count;

    private static readonly Dictionary<string, int> IdBySymbol =
        All.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i, StringComparer.Ordinal);

    /// <summary>Id of a one-character symbol, or -1; indexed by the ASCII code (the text path's fast lookup).</summary>
    internal static readonly int[] IdByAscii = BuildAsciiTable();

    /// <summary>The id of <paramref name="symbol"/>, if it is one of <see cref="All"/>.</summary>
    public static bool TryGetId(string symbol, out int id)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        return IdBySymbol.TryGetValue(symbol, out id);
    }

    /// <summary>The id of <paramref name="symbol"/>; throws if it is not a symbol.</summary>
    public static int IdOf(string symbol) =>
        TryGetId(symbol, out var id) ? id
        : throw new ArgumentException($"'{symbol}' is not one of the {Count} Tacotron 2 symbols.", nameof(symbol));

    /// <summary>The symbol with id <paramref name="id"/>.</summary>
    public static string SymbolOf(int id) =>
        (uint)id < (uint)Count ? All[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"symbol ids run from 0 to {Count - 1}.");

    /// <summary>True for the '@'-prefixed ARPAbet phone symbols.</summary>
    public static bool IsArpabet(string symbol) =>
        symbol is not null && symbol.Length > 1 && symbol.StartsWith(ArpabetPrefix, StringComparison.Ordinal);

    private static int[] BuildAsciiTable()
    {
        var table = new int[128];
        Array.Fill(table, -1);
        for (var id = 0; id < All.Count; id++)
            if (All[id].Length == 1 && All[id][0] < 128) table[All[id][0]] = id;
        return table;
    }
}
