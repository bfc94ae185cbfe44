using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

[TestClass]
public sealed class UnidecoderTests
{
    [TestMethod]
    [DataRow("é", "e")]
    [DataRow("ß", "ss")]
    [DataRow("ö", "oe")]
    [DataRow("Å", "A")]
    [DataRow("ẞ", "SS")]     // listed twice; the later entry wins, as in a Python dict
    [DataRow("Москва", "Moskva")]
    [DataRow("β", "v")]      // replacements before homoglyphs (homoglyphs would not map it at all)
    [DataRow("１", "l")]     // fullwidth one is a homoglyph of 'l'
    [DataRow("€", "E")]
    [DataRow("“”", "\"\"")]
    [DataRow("\u00A0", " ")]
    [DataRow("–", "-")]      // en dash
    [DataRow("𝐀", "A")]     // outside the BMP: one code point, two UTF-16 chars
    [DataRow("𝒢", "g")]     // table quirk kept
    [DataRow("Ⓜ", "")]      // missing from the circled capitals
    public void MapsCodePointsLikeNvidiasTables(string text, string ascii) =>
        Assert.AreEqual(ascii, Unidecoder.Transliterate(text));

    [TestMethod]
    [DataRow("£")]
    [DataRow("—")]
    [DataRow("½")]
    [DataRow("°")]
    [DataRow("😀")]
    [DataRow("日本語")]
    [DataRow("\u007F")]
    [DataRow("\uD800")]      // lone surrogate
    public void DropsWhatTheTablesDoNotHave(string text) =>
        Assert.AreEqual("", Unidecoder.Transliterate(text));

    [TestMethod]
    public void TableKeysOfSeveralCodePointsNeverMatch() =>
        Assert.AreEqual("e", Unidecoder.Transliterate("ъе")); // table says "ye"; the reference reads "ъ" (dropped) then "е"

    [TestMethod]
    public void AsciiBelow127PassesThroughUnchanged()
    {
        var ascii = new string(Enumerable.Range(0, 127).Select(i => (char)i).ToArray());
        Assert.AreSame(ascii, Unidecoder.Transliterate(ascii));
    }

    [TestMethod]
    public void LookupExposesSingleCodePoints()
    {
        Assert.AreEqual("Y", Unidecoder.Lookup('¥'));
        Assert.IsNull(Unidecoder.Lookup('£'));
        Assert.AreEqual("a", Unidecoder.Lookup('a'));
    }
}
