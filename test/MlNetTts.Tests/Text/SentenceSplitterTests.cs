using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

[TestClass]
public sealed class SentenceSplitterTests
{
    private static IReadOnlyList<string> Split(string text, int maxLength = SentenceSplitterOptions.DefaultMaxLength) =>
        new SentenceSplitter(new SentenceSplitterOptions { MaxLength = maxLength }).Split(text);

    [TestMethod]
    public void SplitsAtSentenceEnds() =>
        CollectionAssert.AreEqual(
            new[] { "It rained.", "Did it?", "Yes!", "\"Really.\"", "Then it stopped" },
            Split("It rained. Did it? Yes! \"Really.\" Then it stopped").ToList());

    [TestMethod]
    public void KeepsTitlesAbbreviationsAndInitialsTogether() =>
        CollectionAssert.AreEqual(
            new[] { "Dr. Smith met Mr. J. R. Brown and Mrs. Green on St. James St. at 5 p.m. today.", "They talked." },
            Split("Dr. Smith met Mr. J. R. Brown and Mrs. Green on St. James St. at 5 p.m. today. They talked.").ToList());

    [TestMethod]
    public void KeepsDecimalsAndPricesTogether() =>
        CollectionAssert.AreEqual(
            new[] { "It weighs 3.5 kg and costs $3.50.", "Version 1.2.3 is out." },
            Split("It weighs 3.5 kg and costs $3.50. Version 1.2.3 is out.").ToList());

    [TestMethod]
    public void DottedInitialismEndsASentenceOnlyBeforeACapital() =>
        CollectionAssert.AreEqual(
            new[] { "He moved to the U.S.", "The U.S. army followed." },
            Split("He moved to the U.S. The U.S. army followed.").ToList());

    [TestMethod]
    public void BlankLinesEndAParagraph() =>
        CollectionAssert.AreEqual(new[] { "Title", "Body text." }, Split("Title\n\n  Body text.").ToList());

    [TestMethod]
    public void NeverCutsInsideArpabetBraces() =>
        CollectionAssert.AreEqual(
            new[] { "Say {HH AH0. L OW1} now.", "Done." },
            Split("Say {HH AH0. L OW1} now. Done.").ToList());

    [TestMethod]
    public void LongSentencesAreCutAtClauseMarksFirst()
    {
        var pieces = Split("one two three, four five six seven, eight nine ten", maxLength: 36);
        CollectionAssert.AreEqual(new[] { "one two three, four five six seven,", "eight nine ten" }, pieces.ToList());
    }

    [TestMethod]
    public void LongClausesAreCutAtSpacesAndEveryPieceFits()
    {
        const int max = 20;
        var text = string.Join(" ", Enumerable.Repeat("word", 30)) + ".";
        var pieces = Split(text, max);
        Assert.IsTrue(pieces.All(p => p.Length <= max), string.Join(" | ", pieces));
        Assert.AreEqual(text, string.Join(" ", pieces));
        Assert.IsTrue(pieces.All(p => !p.StartsWith(' ') && !p.EndsWith(' ')));
    }

    [TestMethod]
    public void AWordLongerThanTheLimitIsCutHard()
    {
        var pieces = Split("abcdefghij", maxLength: 4);
        CollectionAssert.AreEqual(new[] { "abcd", "efgh", "ij" }, pieces.ToList());
    }

    [TestMethod]
    public void EmptyAndWhitespaceGiveNoSentences()
    {
        Assert.IsEmpty(Split(""));
        Assert.IsEmpty(Split("  \n\n \t"));
    }

    [TestMethod]
    public void BadArgumentsAreRejected()
    {
        Assert.AreEqual("text", Assert.ThrowsExactly<ArgumentNullException>(() => new SentenceSplitter().Split(null!)).ParamName);
        Assert.AreEqual("options", Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new SentenceSplitter(new SentenceSplitterOptions { MaxLength = 0 })).ParamName);
    }

    [TestMethod]
    public void CustomAbbreviationsAreHonoured()
    {
        var splitter = new SentenceSplitter(new SentenceSplitterOptions { Abbreviations = ["approx", "Inc"] });
        CollectionAssert.AreEqual(new[] { "Acme Inc. Makes things." }, splitter.Split("Acme Inc. Makes things.").ToList());
        CollectionAssert.AreEqual(new[] { "See Dr.", "Who." }, splitter.Split("See Dr. Who.").ToList());
    }
}
