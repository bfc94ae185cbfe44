using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

[TestClass]
public sealed class PronunciationDictionaryTests
{
    private const string Entries = """
        ;;; a CMUdict-style excerpt
        THE  DH AH0
        THE(2)  DH IY0
        navy N EY1 V IY0
        don't D OW1 N T
        twenty T W EH1 N T IY0   # a comment
        two T UW1

        """;

    private static PronunciationDictionary Dictionary() => PronunciationDictionary.Read(new StringReader(Entries), "test.dict");

    [TestMethod]
    public void TheFirstPronunciationOfAWordIsKeptAndLookupIgnoresCase()
    {
        var dictionary = Dictionary();
        Assert.AreEqual(5, dictionary.Count);
        Assert.IsTrue(dictionary.TryGetPhones("The", out var phones));
        Assert.AreEqual("DH AH0", phones);
        Assert.IsTrue(dictionary.TryGetPhones("twenty", out phones));
        Assert.AreEqual("T W EH1 N T IY0", phones);
        Assert.IsFalse(dictionary.TryGetPhones("army", out _));
    }

    [TestMethod]
    public void KnownWordsBecomeBracedPhonesAndTheRestOfTheTextStays() =>
        Assert.AreEqual("{DH AH0} {N EY1 V IY0}, {D OW1 N T} panic!", Dictionary().Transcribe("The Navy, don't panic!"));

    [TestMethod]
    public void UnknownWordsAndOuterApostrophesStayLetters() =>
        Assert.AreEqual("'{DH AH0}' worry", Dictionary().Transcribe("'The' worry"));

    [TestMethod]
    public void NumbersAreSpelledOutBeforeTheLookup() =>
        Assert.AreEqual("{T W EH1 N T IY0}-{T UW1}", Dictionary().Transcribe("22"));

    [TestMethod]
    public void BraceGroupsAlreadyInTheTextAreLeftAlone() =>
        Assert.AreEqual("{N EY1 V IY0} {HH AH0 L OW1} {DH AH0}", Dictionary().Transcribe("navy {HH AH0 L OW1} the"));

    [TestMethod]
    public void TranscribedTextEncodesToPhoneIds()
    {
        var ids = TextEncoder.TextToSequence(Dictionary().Transcribe("The navy."));
        CollectionAssert.AreEqual(new[] { "@DH", "@AH0", " ", "@N", "@EY1", "@V", "@IY0", "." }.Select(Symbols.IdOf).ToArray(), ids);
        CollectionAssert.AreEqual(ids, TextEncoder.TextToSequence("The navy.", Dictionary()));
        CollectionAssert.AreEqual(TextEncoder.TextToSequence("The navy."), TextEncoder.TextToSequence("The navy.", null));
    }

    [TestMethod]
    public void AnUnknownPhoneIsRefusedNamingTheLine()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PronunciationDictionary.Read(new StringReader("the DH AH0\nnavy N XY1 V IY0\n"), "bad.dict"));
        StringAssert.Contains(e.Message, "bad.dict:2");
        StringAssert.Contains(e.Message, "'XY1'");
    }

    [TestMethod]
    public void AWordWithoutPhonesIsRefusedNamingTheLine()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PronunciationDictionary.Read(new StringReader(";;; c\nlonely\n"), "bad.dict"));
        StringAssert.Contains(e.Message, "bad.dict:2");
    }

    [TestMethod]
    public void ADictionaryWithNoEntriesIsRefused() =>
        Assert.ThrowsExactly<InvalidDataException>(() => PronunciationDictionary.Read(new StringReader(";;; only a comment\n"), "empty.dict"));

    [TestMethod]
    public void AMissingFileIsRefusedNamingThePath()
    {
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => PronunciationDictionary.Load("/no/such/cmudict.dict"));
        StringAssert.Contains(e.Message, "/no/such/cmudict.dict");
    }
}
