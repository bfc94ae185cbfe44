using MlNetTts.Checkpoints;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using MlNetTts.Tests.Tacotron2;
using MlNetTts.Tests.WaveGlow;
using MlNetTts.WaveGlow;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// A checkpoint loaded with a config it was not trained with (wrong widths, layer counts) is refused with an error
/// that names the offending keys and shapes — before any weight reaches a model it does not fit (a silent partial
/// load, or a shape mismatch surfacing later inside a native matmul, would be the failure).
/// </summary>
[TestClass]
public sealed class CheckpointConfigMismatchTests
{
    private static string FirstCheckpoint(string model) =>
        ReferenceFixtures.Current.PathOf(ReferenceFixtures.Current.Section(model).GetProperty("checkpoints").EnumerateObject().First().Name);

    [TestMethod]
    public void Tacotron2CheckpointWithWiderConfigIsRefusedNamingShapes()
    {
        var config = Tacotron2Fixture.Config();
        var wider = config with { SymbolsEmbeddingDim = config.SymbolsEmbeddingDim + 2, EncoderEmbeddingDim = config.EncoderEmbeddingDim + 2 };
        var error = Assert.ThrowsExactly<StateDictMismatchException>(() => Tacotron2Model.FromCheckpoint(FirstCheckpoint("tacotron2"), wider));
        Assert.IsNotEmpty(error.ShapeMismatches);
        var embedding = error.ShapeMismatches.Single(m => m.Key == "embedding.weight");
        Assert.AreEqual(wider.SymbolsEmbeddingDim, embedding.Expected[1]);
        Assert.AreEqual(config.SymbolsEmbeddingDim, embedding.Actual[1]);
        StringAssert.Contains(error.Message, "embedding.weight");
    }

    [TestMethod]
    public void Tacotron2CheckpointWithOtherLayerCountsIsRefusedNamingKeys()
    {
        var config = Tacotron2Fixture.Config();
        var deeper = config with { EncoderConvolutions = config.EncoderConvolutions + 1, PostnetConvolutions = config.PostnetConvolutions - 1 };
        var error = Assert.ThrowsExactly<StateDictMismatchException>(() => Tacotron2Model.FromCheckpoint(FirstCheckpoint("tacotron2"), deeper));
        Assert.IsTrue(error.MissingKeys.Any(k => k.StartsWith($"encoder.convolutions.{config.EncoderConvolutions}.", StringComparison.Ordinal)), error.Message);
        Assert.IsTrue(error.UnexpectedKeys.Any(k => k.StartsWith($"postnet.convolutions.{config.PostnetConvolutions - 1}.", StringComparison.Ordinal)), error.Message);
    }

    [TestMethod]
    public void WaveGlowCheckpointWithOtherWidthsIsRefusedNamingFileAndShape()
    {
        var config = WaveGlowFixture.Config;
        var wider = config with { WN = config.WN with { NChannels = config.WN.NChannels * 2 } };
        var path = FirstCheckpoint("waveglow");
        var error = Assert.ThrowsExactly<ArgumentException>(() => WaveGlowModel.FromCheckpoint(path, weightNorm: false, wider));
        StringAssert.Contains(error.Message, Path.GetFileName(path));
        StringAssert.Contains(error.Message, "has shape");
    }

    [TestMethod]
    public void WaveGlowCheckpointWithMoreFlowsIsRefusedNamingMissingKeys()
    {
        var config = WaveGlowFixture.Config;
        var more = config with { NFlows = config.NFlows + 1 };
        var error = Assert.ThrowsExactly<ArgumentException>(() => WaveGlowModel.FromCheckpoint(FirstCheckpoint("waveglow"), config: more));
        StringAssert.Contains(error.Message, "missing");
        StringAssert.Contains(error.Message, $"WN.{config.NFlows}.");
    }
}
