using MlNetTts.Tacotron2;
using MlNetTts.Text;
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
    public void WithPronunciationsKnownWordsAreEncodedAsPhones()
    {
        using var model = TinyModel();
        var dictionary = PronunciationDictionary.Read(new StringReader("navy N EY1 V IY0\n"), "test.dict");
        var plain = new TextSynthesizer(model, new TextSynthesisOptions());
        var phonetic = new TextSynthesizer(model, new TextSynthesisOptions { Pronunciations = dictionary });

        CollectionAssert.AreEqual(new[] { "t", "h", "e", " ", "n", "a", "v", "y", "." }.Select(s => (long)Symbols.IdOf(s)).ToArray(), plain.Sentences("The navy.").Single());
        CollectionAssert.AreEqual(new[] { "t", "h", "e", " ", "@N", "@EY1", "@V", "@IY0", "." }.Select(s => (long)Symbols.IdOf(s)).ToArray(), phonetic.Sentences("The navy.").Single());
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
    public void WithCandidatesTheDrawWhoseAttentionCoversMostIsKept()
    {
        using var model = TinyModel();
        model.eval();
        // The untrained gate never stops: every draw runs to the decoder cap and has an attention to score.
        using (no_grad())
            model.named_parameters().Single(p => p.name == "decoder.gate_layer.linear_layer.bias").parameter.fill_(-100f);
        const string text = "Several words to attend to.";
        // The same sentence as four texts in one batch gives the four draws that four candidates of it are.
        var draws = new TextSynthesizer(model, new TextSynthesisOptions { BatchSize = 4, Seed = 5 })
            .Synthesize([text, text, text, text], withAlignment: true);
        var kept = new TextSynthesizer(model, new TextSynthesisOptions { BatchSize = 4, Seed = 5, Candidates = 4 })
            .Synthesize([text], withAlignment: true).Single();

        var scores = draws.Select(d =>
        {
            using var attention = tensor(d.Alignment, [d.Frames, d.Symbols]);
            return TextSynthesizer.Score(attention);
        }).ToList();
        Assert.IsGreaterThan(1, scores.Distinct().Count(), "the draws differ");
        var best = draws[TextSynthesizer.Best(scores)];
        Assert.AreEqual(best.Frames, kept.Frames);
        CollectionAssert.AreEqual(best.Mel, kept.Mel);
    }

    [TestMethod]
    public void WithoutPrenetDropoutCandidatesDecodeOnce()
    {
        using var model = TinyModel();
        model.eval();
        var once = new TextSynthesizer(model, new TextSynthesisOptions { PrenetDropout = false }).Synthesize(["One more text."]).Single();
        var three = new TextSynthesizer(model, new TextSynthesisOptions { PrenetDropout = false, Candidates = 3 }).Synthesize(["One more text."]).Single();
        CollectionAssert.AreEqual(once.Mel, three.Mel);
    }

    [TestMethod]
    public void ADrawIsRankedByTheShareOfSymbolsAttendedThenBySharpness()
    {
        // Four steps over four symbols: a clean diagonal, one that skips symbols 2-3, and a blurred diagonal.
        float[] diagonal = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        float[] skipping = [1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
        float[] blurred = [0.6f, 0.4f, 0, 0, 0.2f, 0.6f, 0.2f, 0, 0, 0.2f, 0.6f, 0.2f, 0, 0, 0.4f, 0.6f];
        var scores = new[] { skipping, blurred, diagonal }.Select(a =>
        {
            using var attention = tensor(a, [4, 4]);
            return TextSynthesizer.Score(attention);
        }).ToList();
        Assert.AreEqual(0.5, scores[0].Coverage, 1e-6);
        Assert.AreEqual(1.0, scores[1].Coverage, 1e-6);
        Assert.AreEqual(0.6, scores[1].Focus, 1e-6);
        Assert.AreEqual(2, TextSynthesizer.Best(scores), "full coverage, then the sharper attention");
        Assert.AreEqual(1, TextSynthesizer.Best(scores.Take(2).ToList()), "coverage before sharpness");
    }

    [TestMethod]
    public void InvalidOptionsAreRejectedByName()
    {
        using var model = TinyModel();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TextSynthesizer(model, new TextSynthesisOptions { BatchSize = 0 }));
        Assert.AreEqual(nameof(TextSynthesisOptions.BatchSize), error.ParamName);
        foreach (int n in new[] { 0, TextSynthesisOptions.MaxCandidates + 1 })
        {
            var candidates = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TextSynthesizer(model, new TextSynthesisOptions { Candidates = n }));
            Assert.AreEqual(nameof(TextSynthesisOptions.Candidates), candidates.ParamName);
        }
    }
}
