using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class TextSynthesizerTests
{
    private static Tacotron2Model TinyModel()
    {
        manual_seed(11);
        return new Tacotron2Model(new Tacotron2Config
        {
            SymbolsEmbeddingDim = 16, EncoderEmbeddingDim = 16, EncoderConvolutions = 1, AttentionRnnDim = 32, AttentionDim = 8,
            AttentionLocationFilters = 4, AttentionLocationKernelSize = 5, DecoderRnnDim = 32, PrenetDim = 16,
            PostnetEmbeddingDim = 16, PostnetConvolutions = 2, MaxDecoderSteps = 20,
        });
    }

    [TestMethod]
    public void ASentenceWhoseGateFiresAtOnceGivesAnEmptyMel()
    {
        using var model = TinyModel();
        using (no_grad())
            model.named_parameters().Single(p => p.name == "decoder.gate_layer.linear_layer.bias").parameter.fill_(100f);
        var synthesizer = new TextSynthesizer(model, new TextSynthesisOptions { PrenetDropout = false });

        var result = synthesizer.Synthesize(["Hello there.", "Second text."], withAlignment: true);

        Assert.HasCount(2, result);
        foreach (var text in result)
        {
            Assert.AreEqual(0, text.Frames);
            Assert.IsEmpty(text.Mel);
            Assert.IsEmpty(text.Alignment);
        }
    }

    [TestMethod]
    public void EachTextsMelHasItsFramesTimesChannelsValues()
    {
        using var model = TinyModel();
        var synthesizer = new TextSynthesizer(model, new TextSynthesisOptions { PrenetDropout = false, BatchSize = 2 });

        var result = synthesizer.Synthesize(["One.", "Two sentences here. And a second one."], withAlignment: true);

        foreach (var text in result)
        {
            Assert.AreEqual(text.Frames * text.MelChannels, text.Mel.Length);
            Assert.AreEqual(text.Frames * text.Symbols, text.Alignment.Length);
        }
    }

    [TestMethod]
    public void InvalidOptionsAreRejectedByName()
    {
        using var model = TinyModel();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TextSynthesizer(model, new TextSynthesisOptions { BatchSize = 0 }));
        Assert.AreEqual(nameof(TextSynthesisOptions.BatchSize), error.ParamName);
    }
}
