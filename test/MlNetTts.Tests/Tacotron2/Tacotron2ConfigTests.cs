using MlNetTts.Tacotron2;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class Tacotron2ConfigTests
{
    [TestMethod]
    public void CheckpointConfigRoundTrips()
    {
        var config = Tacotron2Fixture.Config();
        Assert.AreEqual(config, Tacotron2Config.FromCheckpointConfig(config.ToCheckpointConfig()));
        CollectionAssert.AreEquivalent(Tacotron2Config.CheckpointKeys.ToList(), config.ToCheckpointConfig().Keys.ToList());
    }

    [TestMethod]
    public void MissingKeysKeepTheReferenceDefaults()
    {
        var config = Tacotron2Config.FromCheckpointConfig(new Dictionary<string, object?> { ["prenet_dim"] = 128L, ["gate_threshold"] = 1L });
        Assert.AreEqual(new Tacotron2Config { PrenetDim = 128, GateThreshold = 1.0 }, config);
    }

    [TestMethod]
    public void AnUnknownKeyIsRejectedByName()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Tacotron2Config.FromCheckpointConfig(new Dictionary<string, object?> { ["n_speakers"] = 4L }));
        StringAssert.Contains(error.Message, "n_speakers");
    }

    [TestMethod]
    public void AWronglyTypedValueIsRejectedByName()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Tacotron2Config.FromCheckpointConfig(new Dictionary<string, object?> { ["decoder_rnn_dim"] = 0.5 }));
        StringAssert.Contains(error.Message, "decoder_rnn_dim");
        error = Assert.ThrowsExactly<ArgumentException>(() => Tacotron2Config.FromCheckpointConfig(new Dictionary<string, object?> { ["mask_padding"] = "yes" }));
        StringAssert.Contains(error.Message, "mask_padding");
    }

    [TestMethod]
    public void AConfigThatCannotBuildAModelIsRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => new Tacotron2Model(new Tacotron2Config { SymbolsEmbeddingDim = 256 }));
        StringAssert.Contains(error.Message, "symbols_embedding_dim");
        error = Assert.ThrowsExactly<ArgumentException>(() => Tacotron2Config.FromCheckpointConfig(new Dictionary<string, object?> { ["postnet_kernel_size"] = 4L }));
        StringAssert.Contains(error.Message, "postnet_kernel_size");
    }
}
