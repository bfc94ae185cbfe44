using System.Text.Json;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>The module tree has NVIDIA's state_dict keys and shapes, in both weight forms, and both key sets load.</summary>
[TestClass]
[TestCategory("Parity")]
public sealed class WaveGlowStateDictTests
{
    private const string RemovedSuffix = "_weightnorm_removed";

    [TestMethod]
    public void FixtureModelHasTheReferenceKeysShapesAndOrder()
    {
        using var model = new WaveGlowModel(WaveGlowFixture.Config);
        AssertSameKeys(WaveGlowFixture.Section.GetProperty("state_dict_keys"), Listing(model), "fixture config, weight-norm form");
    }

    [TestMethod]
    public void FullDefaultConfigurationsHaveTheReferenceKeysAndShapesInBothForms()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(WaveGlowFixture.Fixtures.PathOf(
            WaveGlowFixture.Fixtures.Manifest.GetProperty("full_config_key_manifest").GetString()!)));
        var entries = doc.RootElement.EnumerateObject().Where(p => p.Name.StartsWith("waveglow", StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(entries, "the key manifest lists WaveGlow configurations");
        int compared = 0;
        foreach (var entry in entries)
        {
            bool removed = entry.Name.EndsWith(RemovedSuffix, StringComparison.Ordinal);
            var configOwner = removed ? doc.RootElement.GetProperty(entry.Name[..^RemovedSuffix.Length]) : entry.Value;
            var config = WaveGlowConfig.FromCheckpointConfig(WaveGlowFixture.ToDictionary(configOwner.GetProperty("config")));
            var shapes = WaveGlowModel.StateDictShapes(config, weightNorm: !removed);
            AssertSameKeys(entry.Value.GetProperty("keys"), shapes, entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("n_tensors").GetInt32(), shapes.Count, $"{entry.Name}: tensor count");
            if (entry.Value.TryGetProperty("n_params", out var nParams))
                Assert.AreEqual(nParams.GetInt64(), shapes.Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b)), $"{entry.Name}: parameter count");
            compared++;
        }
        Assert.IsGreaterThanOrEqualTo(4, compared, "256 and 512 channels, each in both forms");
    }

    [TestMethod]
    public void ShapesWithoutAllocatingAgreeWithARealModelInBothForms()
    {
        var config = WaveGlowFixture.Config;
        foreach (bool weightNorm in new[] { true, false })
        {
            using var model = new WaveGlowModel(config, weightNorm);
            var real = Listing(model);
            var meta = WaveGlowModel.StateDictShapes(config, weightNorm);
            CollectionAssert.AreEqual(real.Select(r => r.Key).ToList(), meta.Select(m => m.Key).ToList(), $"keys, weightNorm={weightNorm}");
            for (int i = 0; i < real.Count; i++) CollectionAssert.AreEqual(real[i].Shape, meta[i].Shape, real[i].Key);
        }
    }

    [TestMethod]
    public void RemovingWeightNormYieldsTheFoldedKeySetOfAModelBuiltFolded()
    {
        using var model = WaveGlowFixture.Model(weightNorm: true);
        Assert.IsTrue(model.IsWeightNormed);
        model.RemoveWeightNorm();
        Assert.IsFalse(model.IsWeightNormed);
        using var folded = new WaveGlowModel(WaveGlowFixture.Config, weightNorm: false);
        CollectionAssert.AreEqual(Listing(folded).Select(k => k.Key).ToList(), Listing(model).Select(k => k.Key).ToList());
    }

    [TestMethod]
    public void AFoldedStateDictLoadsIntoBothFormsWithTheSameWeights()
    {
        var f = WaveGlowFixture.Fixtures;
        using var source = WaveGlowFixture.Model(weightNorm: true).RemoveWeightNorm();
        using var scope = NewDisposeScope();
        var foldedDict = source.state_dict();
        Assert.IsFalse(foldedDict.Keys.Any(k => k.EndsWith(".weight_g", StringComparison.Ordinal)));

        var mel = f.Tensor("forward.mel");
        var audio = f.Tensor("forward.audio");
        foreach (bool weightNorm in new[] { true, false })
        {
            using var model = new WaveGlowModel(WaveGlowFixture.Config, weightNorm);
            model.LoadStateDict(foldedDict);
            Assert.AreEqual(weightNorm, model.IsWeightNormed, "loading keeps the model's form");
            f.AssertMatches("forward.z", model.call(mel, audio).Z);
        }
    }

    [TestMethod]
    public void TorchSharpsLoadStateDictIsRoutedThroughTheConvertingLoader()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = new WaveGlowModel(WaveGlowFixture.Config, weightNorm: false);
        using var scope = NewDisposeScope();
        var (missing, unexpected) = model.load_state_dict(WaveGlowFixture.StateDict());
        Assert.IsEmpty(missing);
        Assert.IsEmpty(unexpected);
        f.AssertMatches("forward.z", model.call(f.Tensor("forward.mel"), f.Tensor("forward.audio")).Z);
    }

    [TestMethod]
    public void AMismatchedStateDictIsRejectedNamingTheKeys()
    {
        using var model = new WaveGlowModel(WaveGlowFixture.Config);
        using var scope = NewDisposeScope();
        var dict = WaveGlowFixture.StateDict();
        dict.Remove("upsample.bias");
        dict["not.a.key"] = zeros(1);
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.LoadStateDict(dict));
        StringAssert.Contains(error.Message, "upsample.bias");
        StringAssert.Contains(error.Message, "not.a.key");

        var wrongShape = WaveGlowFixture.StateDict();
        wrongShape["upsample.bias"] = zeros(wrongShape["upsample.bias"].shape[0] + 1);
        error = Assert.ThrowsExactly<ArgumentException>(() => model.LoadStateDict(wrongShape));
        StringAssert.Contains(error.Message, "upsample.bias");
    }

    private static List<(string Key, long[] Shape)> Listing(WaveGlowModel model) =>
        model.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();

    private static void AssertSameKeys(JsonElement expectedKeys, IReadOnlyList<(string Key, long[] Shape)> actual, string what)
    {
        var expected = expectedKeys.EnumerateArray().Select(e => (
            Key: e.GetProperty("key").GetString()!,
            Shape: e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToList();
        var actualKeys = actual.Select(a => a.Key).ToList();
        var missing = expected.Select(e => e.Key).Except(actualKeys).ToList();
        var extra = actualKeys.Except(expected.Select(e => e.Key)).ToList();
        Assert.IsTrue(missing.Count == 0 && extra.Count == 0,
            $"{what}: missing [{string.Join(", ", missing.Take(5))}], unexpected [{string.Join(", ", extra.Take(5))}]");
        CollectionAssert.AreEqual(expected.Select(e => e.Key).ToList(), actualKeys, $"{what}: key order");
        for (int i = 0; i < expected.Count; i++)
            CollectionAssert.AreEqual(expected[i].Shape, actual[i].Shape, $"{what}: shape of {expected[i].Key}");
    }
}
