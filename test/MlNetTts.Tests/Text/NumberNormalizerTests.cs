using MlNetTts.Text;

namespace MlNetTts.Tests.Text;

/// <summary>Each number form of the reference's normalize_numbers (inflect 2.1.0 wording).</summary>
[TestClass]
public sealed class NumberNormalizerTests
{
    [TestMethod]
    [DataRow("0", "zero")]
    [DataRow("7", "seven")]
    [DataRow("13", "thirteen")]
    [DataRow("20", "twenty")]
    [DataRow("42", "forty-two")]
    [DataRow("100", "one hundred")]
    [DataRow("101", "one hundred one")]
    [DataRow("110", "one hundred ten")]
    [DataRow("999", "nine hundred ninety-nine")]
    [DataRow("1000", "one thousand")]
    [DataRow("3000", "three thousand")]
    [DataRow("3001", "three thousand one")]
    [DataRow("3100", "three thousand, one hundred")]
    [DataRow("12345", "twelve thousand, three hundred forty-five")]
    [DataRow("100000", "one hundred thousand")]
    [DataRow("1000001", "one million one")]
    [DataRow("2000000", "two million")]
    [DataRow("007", "seven")]
    public void CardinalsAreSpelledWithoutAnd(string number, string words) =>
        Assert.AreEqual(words, NumberNormalizer.Normalize(number));

    [TestMethod]
    [DataRow("1001", "ten oh one")]
    [DataRow("1200", "twelve hundred")]
    [DataRow("1905", "nineteen oh five")]
    [DataRow("1999", "nineteen ninety-nine")]
    [DataRow("2000", "two thousand")]
    [DataRow("2001", "two thousand one")]
    [DataRow("2009", "two thousand nine")]
    [DataRow("2010", "twenty ten")]
    [DataRow("2100", "twenty-one hundred")]
    [DataRow("2999", "twenty-nine ninety-nine")]
    [DataRow("02000", "two thousand")]
    public void NumbersFrom1001To2999AreReadAsYears(string number, string words) =>
        Assert.AreEqual(words, NumberNormalizer.Normalize(number));

    [TestMethod]
    [DataRow("1,000", "one thousand")]
    [DataRow("1,000,000", "one million")]
    [DataRow("10,000 and 1,5", "ten thousand and fifteen")]
    public void CommasInsideNumbersAreRemoved(string text, string words) =>
        Assert.AreEqual(words, NumberNormalizer.Normalize(text));

    [TestMethod]
    [DataRow("3.14", "three point fourteen")]
    [DataRow("0.5", "zero point five")]
    [DataRow(".5", ".five")]
    [DataRow("1.2.3", "one point two.three")]
    public void DecimalsArePointedOut(string text, string words) =>
        Assert.AreEqual(words, NumberNormalizer.Normalize(text));

    [TestMethod]
    [DataRow("$3.50", "three dollars, fifty cents")]
    [DataRow("$1", "one dollar")]
    [DataRow("$1.01", "one dollar, one cent")]
    [DataRow("$0.99", "ninety-nine cents")]
    [DataRow("$.75", "seventy-five cents")]
    [DataRow("$0", "zero dollars")]
    [DataRow("$1.00", "one dollar")]
    [DataRow("$2.5", "two dollars, five cents")] // the reference reads the cents as an integer
    [DataRow("$1,000,000", "one million dollars")]
    [DataRow("$3.50.10", "three point fifty.ten dollars")]
    public void DollarAmountsAreSpelledAsTheReferenceDoes(string text, string words) =>
        Assert.AreEqual(words, NumberNormalizer.Normalize(text));

    [TestMethod]
    public void PoundsRuleExistsButEnglishCleanersDropsThePoundSignFirst()
    {
        Assert.AreEqual("two pounds", NumberNormalizer.Normalize("£2"));
        Assert.AreEqual("one thousand pounds", NumberNormalizer.Normalize("£1,000"));
        Assert.AreEqual("two", EnglishCleaners.Clean("£2"));
    }

    [TestMethod]
    [DataRow("1st", "first")]
    [DataRow("2nd", "second")]
    [DataRow("3rd", "third")]
    [DataRow("4th", "fourth")]
    [DataRow("5th", "fifth")]
    [DataRow("8th", "eighth")]
    [DataRow("9th", "ninth")]
    [DataRow("11th", "eleventh")]
    [DataRow("12th", "twelfth")]
    [DataRow("13th", "thirteenth")]
    [DataRow("21st", "twenty-first")]
    [DataRow("30th", "thirtieth")]
    [DataRow("100th", "one hundredth")]
    [DataRow("101st", "one hundred and first")]
    [DataRow("1000th", "one thousandth")]
    [DataRow("1999th", "one thousand, nine hundred and ninety-ninth")]
    [DataRow("0th", "zeroth")]
    public void OrdinalsUseInflectWithAnd(string text, string words) =>
        Assert.AreEqual(words, NumberNormalizer.Normalize(text));

    [TestMethod]
    public void ThirtySixDigitsAreTheLimitAsInInflect()
    {
        var decillion = "1" + new string('0', 33);
        Assert.AreEqual("one decillion", NumberNormalizer.Normalize(decillion));
        var tooLong = "1" + new string('0', 36);
        var e = Assert.ThrowsExactly<ArgumentException>(() => NumberNormalizer.Normalize(tooLong));
        Assert.AreEqual("text", e.ParamName);
    }

    [TestMethod]
    public void DollarAmountPythonCannotParseIsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => NumberNormalizer.Normalize("$1,.5"));
        Assert.AreEqual("text", e.ParamName);
    }

    [TestMethod]
    public void NullIsRejected() =>
        Assert.AreEqual("text", Assert.ThrowsExactly<ArgumentNullException>(() => NumberNormalizer.Normalize(null!)).ParamName);
}
