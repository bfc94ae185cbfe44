using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

[TestClass]
public sealed class EnglishCleanersTests
{
    [TestMethod]
    [DataRow("Mrs. Jones", "misess jones")]
    [DataRow("Mr. Jones", "mister jones")]
    [DataRow("Dr. Jones", "doctor jones")]
    [DataRow("St. Louis", "saint louis")]
    [DataRow("Acme Co.", "acme company")]
    [DataRow("Sam Jr.", "sam junior")]
    [DataRow("Maj. Lee", "major lee")]
    [DataRow("Gen. Lee", "general lee")]
    [DataRow("Drs. Lee", "doctors lee")]
    [DataRow("Rev. Lee", "reverend lee")]
    [DataRow("Lt. Lee", "lieutenant lee")]
    [DataRow("Hon. Lee", "honorable lee")]
    [DataRow("Sgt. Lee", "sergeant lee")]
    [DataRow("Capt. Lee", "captain lee")]
    [DataRow("Lee Esq.", "lee esquire")]
    [DataRow("Acme Ltd.", "acme limited")]
    [DataRow("Col. Lee", "colonel lee")]
    [DataRow("Ft. Worth", "fort worth")]
    public void EachAbbreviationIsExpanded(string text, string cleaned) =>
        Assert.AreEqual(cleaned, EnglishCleaners.Clean(text));

    [TestMethod]
    [DataRow("Main St.", "main saint")]              // no context: St. is always saint
    [DataRow("MR. LOUD", "mister loud")]            // any case
    [DataRow("mr without a dot", "mr without a dot")] // needs the period
    [DataRow("Mrs.Smith", "misesssmith")]           // no space needed after the period
    [DataRow("the first. then", "the first. then")] // only at a word start
    public void AbbreviationsFollowTheReferenceRules(string text, string cleaned) =>
        Assert.AreEqual(cleaned, EnglishCleaners.Clean(text));

    [TestMethod]
    public void AbbreviationsExpandAfterNumbers() =>
        Assert.AreEqual("the twenty-first saint", EnglishCleaners.Clean("The 21st St."));

    [TestMethod]
    [DataRow("  two  spaces  ", " two spaces ")]
    [DataRow("tab\tnew\nline\r\nend", "tab new line end")]
    [DataRow("sep\u001Farator", "sep arator")] // Python counts U+001F as whitespace
    [DataRow("   ", " ")]
    public void WhitespaceRunsCollapseWithoutTrimming(string text, string cleaned) =>
        Assert.AreEqual(cleaned, EnglishCleaners.Clean(text));

    [TestMethod]
    public void TransliterationRunsBeforeLowercaseAndNumbers()
    {
        Assert.AreEqual("ltwenty-three", EnglishCleaners.Clean("１２３"));
        Assert.AreEqual("efive", EnglishCleaners.Clean("€5"));
        Assert.AreEqual("yone hundred", EnglishCleaners.Clean("¥100"));
        Assert.AreEqual("cafe", EnglishCleaners.Clean("CAFÉ"));
    }

    [TestMethod]
    public void EmptyStaysEmptyAndNullIsRejected()
    {
        Assert.AreEqual("", EnglishCleaners.Clean(""));
        Assert.AreEqual("text", Assert.ThrowsExactly<ArgumentNullException>(() => EnglishCleaners.Clean(null!)).ParamName);
    }

    [TestMethod]
    public void AbbreviationTableIsInspectable()
    {
        Assert.Contains(("st", "saint"), Abbreviations.All);
        Assert.AreEqual("mrs", Abbreviations.All[0].Abbreviation); // before "mr", or "mrs." would become "misters."
        Assert.AreEqual("misess", Abbreviations.Expand("mrs."));
    }
}
