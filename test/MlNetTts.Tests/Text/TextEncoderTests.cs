using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

[TestClass]
public sealed class TextEncoderTests
{
    private static int[] Ids(params string[] symbols) => symbols.Select(Symbols.IdOf).ToArray();

    [TestMethod]
    public void PlainTextMapsEachCleanedCharacterToItsId() =>
        CollectionAssert.AreEqual(Ids("h", "i", " ", "t", "w", "o", "!"), TextEncoder.TextToSequence("Hi 2!"));

    [TestMethod]
    public void ArpabetInBracesPassesThroughAsPhones() =>
        CollectionAssert.AreEqual(Ids("@HH", "@AH0", "@L", "@OW1"), TextEncoder.TextToSequence("{HH AH0 L OW1}"));

    [TestMethod]
    public void TextAroundBracesIsCleanedPieceByPiece() =>
        CollectionAssert.AreEqual(
            Ids("a", "t", " ", "@W", "@ER1", " ", "t", "w", "o"),
            TextEncoder.TextToSequence("At {W ER1} 2"));

    [TestMethod]
    public void UnknownAndLowercasePhonesAreDropped() =>
        CollectionAssert.AreEqual(Ids("@AA1"), TextEncoder.TextToSequence("{XX aa1 AA1  \t}"));

    [TestMethod]
    public void BracesThatDoNotFormAGroupAreCleanedAsText()
    {
        CollectionAssert.AreEqual(Ids("a", " ", " ", "b"), TextEncoder.TextToSequence("a {} b"));
        CollectionAssert.AreEqual(Ids("a", " ", "h", "h"), TextEncoder.TextToSequence("a {HH")); // unclosed
        // A group must close on the line where the text starts, as with the reference's regex.
        CollectionAssert.AreEqual(Ids("x", " ", "h", "h"), TextEncoder.TextToSequence("x\n{HH}"));
    }

    [TestMethod]
    public void OnlyTheRestOfTheLineAfterABraceGroupIsRead() =>
        CollectionAssert.AreEqual(Ids("@HH", "x"), TextEncoder.TextToSequence("{HH}x\nlost"));

    [TestMethod]
    [DataRow("\"")]
    [DataRow("_")]
    [DataRow("[")]
    [DataRow("&")]
    [DataRow("~")]
    [DataRow("#%*/+=^`<>|@$")]
    [DataRow("😀")]
    public void NonSymbolsAndThePadAreDropped(string text) =>
        Assert.IsEmpty(TextEncoder.TextToSequence(text));

    [TestMethod]
    public void EmptyTextGivesAnEmptySequence() => Assert.IsEmpty(TextEncoder.TextToSequence(""));

    [TestMethod]
    public void NullIsRejectedNamingTheParameter()
    {
        Assert.AreEqual("text", Assert.ThrowsExactly<ArgumentNullException>(() => TextEncoder.TextToSequence(null!)).ParamName);
        Assert.AreEqual("sequence", Assert.ThrowsExactly<ArgumentNullException>(() => TextEncoder.SequenceToText(null!)).ParamName);
    }

    [TestMethod]
    public void SequenceToTextJoinsAdjacentPhonesInOneBracePair() =>
        Assert.AreEqual("say {HH AH0 L OW1}.", TextEncoder.SequenceToText(TextEncoder.TextToSequence("Say {HH AH0}{L OW1}.")));

    [TestMethod]
    public void SequenceToTextSkipsIdsOutsideTheTableAndShowsThePad()
    {
        Assert.AreEqual("_a", TextEncoder.SequenceToText([Symbols.PadId, -1, Symbols.Count, Symbols.IdOf("a")]));
        Assert.AreEqual("", TextEncoder.SequenceToText([]));
    }
}
