using MlNetTts.Tacotron2;
using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class PhoneEmbeddingsTests
{
    private static Tacotron2Model TinyModel()
    {
        manual_seed(3);
        return new Tacotron2Model(Speech.SpeechTrainingTests.TinyTacotron2); // the reference's 148 symbols
    }

    private static float[] Row(Tacotron2Model model, string symbol) =>
        model.named_parameters().Single(p => p.name == "embedding.weight").parameter[Symbols.IdOf(symbol)].data<float>().ToArray();

    [TestMethod]
    public void EachPhoneStartsAsTheMeanOfTheLettersThatSpellIt()
    {
        using var model = TinyModel();
        var letters = Symbols.Letters.Select(c => Row(model, c.ToString())).ToList();

        PhoneEmbeddings.FromLetters(model);

        CollectionAssert.AreEqual(Row(model, "n"), Row(model, "@N"));
        CollectionAssert.AreEqual(Row(model, "a"), Row(model, "@EY1"));
        var s = Row(model, "s");
        var h = Row(model, "h");
        var sh = Row(model, "@SH");
        for (int i = 0; i < sh.Length; i++) Assert.AreEqual((s[i] + h[i]) / 2, sh[i], 1e-6f);
        // The letters themselves are untouched.
        CollectionAssert.AreEqual(letters.SelectMany(r => r).ToArray(), Symbols.Letters.SelectMany(c => Row(model, c.ToString())).ToArray());
    }

    [TestMethod]
    public void EveryPhoneHasASpelling()
    {
        foreach (var phone in Symbols.ArpabetPhones)
            Assert.IsTrue(PhoneEmbeddings.Spellings.ContainsKey(phone.TrimEnd('0', '1', '2')), phone);
    }
}
