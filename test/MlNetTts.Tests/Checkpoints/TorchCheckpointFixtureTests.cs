using System.Text.Json;
using MlNetTts.Checkpoints;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Checkpoints;

/// <summary>
/// The reference fixture set's checkpoints (zip, legacy, legacy with DDP prefixes) against the same state dicts
/// stored as safetensors; file names, configs and keys all come from the manifest.
/// </summary>
[TestClass]
public sealed class TorchCheckpointFixtureTests
{
    public static IEnumerable<object[]> Checkpoints() =>
        new[] { "tacotron2", "waveglow" }.SelectMany(model =>
            ReferenceFixtures.Current.Section(model).GetProperty("checkpoints").EnumerateObject().Select(c => new object[] { model, c.Name }));

    [TestMethod]
    [TestCategory("Parity")]
    [DynamicData(nameof(Checkpoints))]
    public void StateDictEqualsSafetensorsBitForBit(string model, string checkpointFile)
    {
        var fixtures = ReferenceFixtures.Current;
        var section = fixtures.Section(model);
        using var scope = NewDisposeScope();
        var expected = SafeTensorsFile.ReadAll(fixtures.PathOf(section.GetProperty("state_dict_safetensors").GetString()!));
        using var checkpoint = TorchCheckpoint.Load(fixtures.PathOf(checkpointFile));

        CollectionAssert.AreEqual(expected.Keys.ToList(), checkpoint.StateDict.Keys.ToList(), $"{checkpointFile}: state dict keys (in order)");
        foreach (var (key, reference) in expected)
        {
            var actual = checkpoint.StateDict[key];
            Assert.AreEqual(reference.dtype, actual.dtype, $"{checkpointFile} '{key}': dtype");
            CollectionAssert.AreEqual(reference.shape, actual.shape, $"{checkpointFile} '{key}': shape");
            Assert.IsTrue(reference.bytes.SequenceEqual(actual.contiguous().bytes), $"{checkpointFile} '{key}': bytes differ");
        }
        // The manifest's own key list, too: the fixture's safetensors file is not the only witness.
        var manifestKeys = section.GetProperty("state_dict_keys").EnumerateArray().Select(k => k.GetProperty("key").GetString()!).ToList();
        CollectionAssert.AreEquivalent(manifestKeys, checkpoint.StateDict.Keys.ToList(), $"{checkpointFile}: keys vs manifest");
    }

    [TestMethod]
    [TestCategory("Parity")]
    [DynamicData(nameof(Checkpoints))]
    public void ConfigAndEpochComeBack(string model, string checkpointFile)
    {
        var fixtures = ReferenceFixtures.Current;
        using var checkpoint = TorchCheckpoint.Load(fixtures.PathOf(checkpointFile));
        Assert.IsNotNull(checkpoint.Config, $"{checkpointFile}: config");
        AssertSameValue(fixtures.Section(model).GetProperty("config"), checkpoint.Config, "config");
        var root = (Dictionary<string, object?>)checkpoint.Root!;
        Assert.IsInstanceOfType<long>(root["epoch"], $"{checkpointFile}: epoch");
    }

    [TestMethod]
    [TestCategory("Parity")]
    [DynamicData(nameof(Checkpoints))]
    public void FormatIsDetectedByContent(string model, string checkpointFile)
    {
        using var checkpoint = TorchCheckpoint.Load(ReferenceFixtures.Current.PathOf(checkpointFile));
        var description = ReferenceFixtures.Current.Section(model).GetProperty("checkpoints").GetProperty(checkpointFile).GetString()!;
        Assert.AreEqual(!description.Contains("legacy", StringComparison.Ordinal), checkpoint.IsZipFormat, $"{checkpointFile}: {description}");
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void DistributedPrefixesAreInTheFileAndRemovedFromTheStateDict()
    {
        foreach (var model in new[] { "tacotron2", "waveglow" })
        {
            var ddp = ReferenceFixtures.Current.Section(model).GetProperty("checkpoints").EnumerateObject()
                .Single(c => c.Value.GetString()!.Contains("module.", StringComparison.Ordinal)).Name;
            using var checkpoint = TorchCheckpoint.Load(ReferenceFixtures.Current.PathOf(ddp));
            var raw = (Dictionary<string, object?>)((Dictionary<string, object?>)checkpoint.Root!)["state_dict"]!;
            Assert.IsTrue(raw.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)), $"{ddp}: raw keys are prefixed");
            Assert.IsFalse(checkpoint.StateDict.Keys.Any(k => k.Contains("module.", StringComparison.Ordinal)), $"{ddp}: state dict keys are unwrapped");
            Assert.HasCount(raw.Count, checkpoint.StateDict);
        }
    }

    /// <summary>A manifest JSON value against an unpickled value, generically (nested dicts, lists, numbers, strings, bools, null).</summary>
    private static void AssertSameValue(JsonElement expected, object? actual, string path)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var dict = actual as IReadOnlyDictionary<string, object?> ?? Fail<IReadOnlyDictionary<string, object?>>(path, "a dict", actual);
                var names = expected.EnumerateObject().Select(p => p.Name).ToList();
                CollectionAssert.AreEquivalent(names, dict.Keys.ToList(), $"{path}: keys");
                foreach (var p in expected.EnumerateObject()) AssertSameValue(p.Value, dict[p.Name], $"{path}.{p.Name}");
                break;
            case JsonValueKind.Array:
                var items = actual as IReadOnlyList<object?> ?? Fail<IReadOnlyList<object?>>(path, "a list or tuple", actual);
                var expectedItems = expected.EnumerateArray().ToList();
                Assert.HasCount(expectedItems.Count, items, $"{path}: length");
                for (int i = 0; i < items.Count; i++) AssertSameValue(expectedItems[i], items[i], $"{path}[{i}]");
                break;
            case JsonValueKind.String:
                Assert.AreEqual(expected.GetString(), actual, path);
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Assert.AreEqual(expected.GetBoolean(), actual, path);
                break;
            case JsonValueKind.Null:
                Assert.IsNull(actual, path);
                break;
            case JsonValueKind.Number:
                if (actual is long l) Assert.IsTrue(expected.TryGetInt64(out var e) && e == l, $"{path}: {expected} vs {l}");
                else if (actual is double d) Assert.AreEqual(expected.GetDouble(), d, $"{path}");
                else Fail<object>(path, "a number", actual);
                break;
            default:
                Assert.Fail($"{path}: unexpected JSON {expected.ValueKind}");
                break;
        }
    }

    private static T Fail<T>(string path, string what, object? actual)
    {
        Assert.Fail($"{path}: expected {what}, got {actual?.GetType().Name ?? "null"}");
        return default!;
    }
}
