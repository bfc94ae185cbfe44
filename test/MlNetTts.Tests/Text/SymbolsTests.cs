using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

[TestClass]
public sealed class SymbolsTests
{
    [TestMethod]
    public void TableIsPadSpecialPunctuationLettersThenPrefixedPhones()
    {
        var expected = new[] { Symbols.Pad, Symbols.Special }
            .Concat(Symbols.Punctuation.Select(c => c.ToString()))
            .Concat(Symbols.Letters.Select(c => c.ToString()))
            .Concat(Symbols.ArpabetPhones.Select(p => "@" + p));
        CollectionAssert.AreEqual(expected.ToList(), Symbols.All.ToList());
        Assert.AreEqual(Symbols.PadId, Symbols.IdOf("_"));
        Assert.HasCount(Symbols.All.Distinct().Count(), Symbols.All);
    }

    [TestMethod]
    public void IdsAndSymbolsRoundTrip()
    {
        for (var id = 0; id < Symbols.Count; id++) Assert.AreEqual(id, Symbols.IdOf(Symbols.SymbolOf(id)));
    }

    [TestMethod]
    public void TableIsReadOnly() =>
        Assert.ThrowsExactly<NotSupportedException>(() => ((IList<string>)Symbols.All)[0] = "x");

    [TestMethod]
    public void BadLookupsNameTheirArgument()
    {
        Assert.AreEqual("symbol", Assert.ThrowsExactly<ArgumentException>(() => Symbols.IdOf("AA")).ParamName);
        Assert.AreEqual("id", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Symbols.SymbolOf(Symbols.Count)).ParamName);
        Assert.IsFalse(Symbols.TryGetId("~", out _));
        Assert.IsTrue(Symbols.IsArpabet("@ZH"));
        Assert.IsFalse(Symbols.IsArpabet("@"));
    }
}
