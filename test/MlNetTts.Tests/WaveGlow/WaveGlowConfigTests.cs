using MlNetTts.WaveGlow;

namespace MlNetTts.Tests.WaveGlow;

[TestClass]
public sealed class WaveGlowConfigTests
{
    [TestMethod]
    public void DefaultsAreTheReferences()
    {
        var c = new WaveGlowConfig();
        Assert.AreEqual(80, c.NMelChannels);
        Assert.AreEqual(12, c.NFlows);
        Assert.AreEqual(8, c.NGroup);
        Assert.AreEqual(4, c.NEarlyEvery);
        Assert.AreEqual(2, c.NEarlySize);
        Assert.AreEqual(new WaveNetConfig { NLayers = 8, KernelSize = 3, NChannels = 256 }, c.WN);
        Assert.AreEqual(4, c.RemainingChannels);
        CollectionAssert.AreEqual(new[] { 8, 8, 8, 8, 6, 6, 6, 6, 4, 4, 4, 4 }, Enumerable.Range(0, 12).Select(c.RemainingChannelsAt).ToArray());
    }

    [TestMethod]
    public void CheckpointConfigIsReadWithNestedWaveNetConfig()
    {
        var config = WaveGlowConfig.FromCheckpointConfig(new Dictionary<string, object?>
        {
            ["n_mel_channels"] = 20L,
            ["n_flows"] = 6L,
            ["n_group"] = 8L,
            ["n_early_every"] = 3.0,
            ["n_early_size"] = 2L,
            ["WN_config"] = new Dictionary<string, object?> { ["n_layers"] = 4L, ["kernel_size"] = 5L, ["n_channels"] = 512L },
        });
        Assert.AreEqual(new WaveGlowConfig
        {
            NMelChannels = 20, NFlows = 6, NGroup = 8, NEarlyEvery = 3, NEarlySize = 2,
            WN = new WaveNetConfig { NLayers = 4, KernelSize = 5, NChannels = 512 },
        }, config);
        var roundTrip = WaveGlowConfig.FromCheckpointConfig(config.ToCheckpointConfig());
        Assert.AreEqual(config, roundTrip);
    }

    [TestMethod]
    public void BadCheckpointConfigsAreRejectedNamingTheKey()
    {
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => WaveGlowConfig.FromCheckpointConfig(new Dictionary<string, object?> { ["n_flowz"] = 3L }));
        StringAssert.Contains(unknown.Message, "n_flowz");
        var notInteger = Assert.ThrowsExactly<ArgumentException>(() => WaveGlowConfig.FromCheckpointConfig(new Dictionary<string, object?> { ["n_group"] = "eight" }));
        StringAssert.Contains(notInteger.Message, "n_group");
        var nested = Assert.ThrowsExactly<ArgumentException>(() => WaveGlowConfig.FromCheckpointConfig(new Dictionary<string, object?>
        {
            ["WN_config"] = new Dictionary<string, object?> { ["kernel_size"] = 4L },
        }));
        StringAssert.Contains(nested.Message, "kernel_size");
        var odd = Assert.ThrowsExactly<ArgumentException>(() => new WaveGlowConfig { NGroup = 7 }.Validate());
        StringAssert.Contains(odd.Message, "n_group");
        var tooManyEarly = Assert.ThrowsExactly<ArgumentException>(() => new WaveGlowConfig { NFlows = 12, NEarlyEvery = 2 }.Validate());
        StringAssert.Contains(tooManyEarly.Message, "n_early_size");
    }
}
