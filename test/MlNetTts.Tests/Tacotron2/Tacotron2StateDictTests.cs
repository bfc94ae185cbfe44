using System.Text.Json;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class Tacotron2StateDictTests
{
    [TestMethod]
    public void DefaultConfigHasTheReferenceKeysAndShapes()
    {
        using var stream = File.OpenRead(ReferenceFixtures.Current.PathOf("state_dict_keys_full.json"));
        var full = JsonDocument.Parse(stream).RootElement.GetProperty("tacotron2_default");
        var config = Tacotron2Config.FromCheckpointConfig(Tacotron2Fixture.ToDictionary(full.GetProperty("config")));
        Assert.AreEqual(new Tacotron2Config(), config, "the reference defaults are our defaults");
        using var model = new Tacotron2Model(config);
        AssertKeysAndShapes(full.GetProperty("keys"), model);
        Assert.AreEqual(full.GetProperty("n_params").GetInt64(), model.parameters().Sum(p => p.numel()), "parameter count");
    }

    [TestMethod]
    public void FixtureConfigHasTheReferenceKeysAndShapes()
    {
        using var model = new Tacotron2Model(Tacotron2Fixture.Config());
        AssertKeysAndShapes(Tacotron2Fixture.Section.GetProperty("state_dict_keys"), model);
    }

    [TestMethod]
    public void FixtureWeightsLoadStrictly()
    {
        using var model = Tacotron2Fixture.Model(); // asserts no missing and no unexpected keys
        Assert.IsFalse(model.PrenetDropout);
    }

    private static void AssertKeysAndShapes(JsonElement expectedKeys, Tacotron2Model model)
    {
        var expected = expectedKeys.EnumerateArray()
            .Select(k => (Key: k.GetProperty("key").GetString()!, Shape: string.Join(",", k.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())), DType: k.GetProperty("dtype").GetString()!))
            .ToList();
        var actual = model.state_dict()
            .Select(kv => (Key: kv.Key, Shape: string.Join(",", kv.Value.shape), DType: kv.Value.dtype == TorchSharp.torch.ScalarType.Int64 ? "int64" : kv.Value.dtype.ToString().ToLowerInvariant()))
            .ToList();
        CollectionAssert.AreEquivalent(expected.Select(e => e.Key).ToList(), actual.Select(a => a.Key).ToList(), "state_dict keys");
        var byKey = actual.ToDictionary(a => a.Key);
        foreach (var e in expected)
        {
            Assert.AreEqual(e.Shape, byKey[e.Key].Shape, $"shape of {e.Key}");
            Assert.AreEqual(e.DType, byKey[e.Key].DType, $"dtype of {e.Key}");
        }
    }
}
