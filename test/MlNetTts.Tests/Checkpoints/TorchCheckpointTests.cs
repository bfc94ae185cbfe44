using System.Numerics;
using MlNetTts.Checkpoints;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Checkpoints;

/// <summary>Hand-built checkpoints in both formats: storage offsets, shared storages, strides, dtypes, plain values.</summary>
[TestClass]
public sealed class TorchCheckpointTests
{
    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Formats => [["zip"], ["legacy"]];

    private static TorchCheckpoint Load(TestCheckpointWriter writer, object? root, string format, string name = "test.pt")
    {
        var bytes = format == "zip" ? writer.Zip(root) : writer.Legacy(root);
        return TorchCheckpoint.Load(new MemoryStream(bytes), name);
    }

    private static byte[] FloatBytes(float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void SharedStorageWithOffsetsAndStridesGivesEachView(string format)
    {
        var values = Enumerable.Range(0, 24).Select(i => i * 1.5f - 7f).ToArray();
        var writer = new TestCheckpointWriter();
        writer.Storages["0"] = new("FloatStorage", values.Length, FloatBytes(values));
        // As an LSTM's weights saved from one flat buffer: several tensors, one storage, different offsets.
        var views = new Dictionary<string, TensorSpec>
        {
            ["rows"] = new("0", 0, [2, 3], [3, 1]),
            ["transposed"] = new("0", 6, [3, 2], [1, 3]),
            ["every_other"] = new("0", 13, [5], [2]),
            ["broadcast"] = new("0", 4, [3, 2], [0, 1]),
            ["scalar"] = new("0", 23, [], []),
            ["empty"] = new("0", 0, [0, 4], [4, 1]),
        };
        using var checkpoint = Load(writer, new Dictionary<string, object?> { ["state_dict"] = views.ToDictionary(v => v.Key, v => (object?)v.Value) }, format);

        foreach (var (name, spec) in views)
        {
            var tensor = checkpoint.StateDict[name];
            Assert.AreEqual(ScalarType.Float32, tensor.dtype, name);
            CollectionAssert.AreEqual(spec.Size, tensor.shape, name);
            Assert.IsTrue(tensor.is_contiguous(), $"{name} is contiguous");
            var expected = ExpectedView(values, spec);
            if (expected.Length > 0) CollectionAssert.AreEqual(expected, tensor.flatten().data<float>().ToArray(), name);
        }
        // Independent copies: changing one leaves the others alone.
        checkpoint.StateDict["rows"].fill_(0);
        Assert.AreEqual(values[6], checkpoint.StateDict["transposed"][0, 0].item<float>());
    }

    private static float[] ExpectedView(float[] storage, TensorSpec spec)
    {
        long count = spec.Size.Aggregate(1L, (a, b) => a * b);
        var result = new float[count];
        var index = new long[spec.Size.Length];
        for (long n = 0; n < count; n++)
        {
            long at = spec.Offset;
            for (int d = 0; d < index.Length; d++) at += index[d] * spec.Stride[d];
            result[n] = storage[at];
            for (int d = index.Length - 1; d >= 0; d--)
            {
                if (++index[d] < spec.Size[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    public static IEnumerable<object[]> DTypes()
    {
        foreach (var format in new[] { "zip", "legacy" })
        {
            yield return [format, "FloatStorage", ScalarType.Float32, 4];
            yield return [format, "HalfStorage", ScalarType.Float16, 2];
            yield return [format, "BFloat16Storage", ScalarType.BFloat16, 2];
            yield return [format, "DoubleStorage", ScalarType.Float64, 8];
            yield return [format, "LongStorage", ScalarType.Int64, 8];
            yield return [format, "IntStorage", ScalarType.Int32, 4];
            yield return [format, "ByteStorage", ScalarType.Byte, 1];
            yield return [format, "BoolStorage", ScalarType.Bool, 1];
        }
    }

    [TestMethod]
    [DynamicData(nameof(DTypes))]
    public void EveryDTypeKeepsItsTypeAndBits(string format, string storageClass, ScalarType dtype, int elementSize)
    {
        const int count = 37;
        var bytes = new byte[count * elementSize];
        new Random(elementSize * 31 + storageClass.Length).NextBytes(bytes);
        if (dtype == ScalarType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        var writer = new TestCheckpointWriter();
        writer.Storages["7"] = new(storageClass, count, bytes);
        using var checkpoint = Load(writer, new Dictionary<string, object?> { ["w"] = new TensorSpec("7", 2, [5, 7], [7, 1]) }, format);

        var tensor = checkpoint.StateDict["w"];
        Assert.AreEqual(dtype, tensor.dtype);
        CollectionAssert.AreEqual(bytes.Skip(2 * elementSize).Take(35 * elementSize).ToArray(), tensor.bytes.ToArray());
    }

    [TestMethod]
    public void OldCudaStorageTypesAreReadToTheCpu()
    {
        var writer = new TestCheckpointWriter();
        writer.Storages["0"] = new("HalfStorage", 1, [0x00, 0x3c], StorageModule: "torch.cuda");
        using var checkpoint = Load(writer, new Dictionary<string, object?> { ["w"] = new TensorSpec("0", 0, [1], [1]) }, "legacy");
        Assert.AreEqual(ScalarType.Float16, checkpoint.StateDict["w"].dtype);
        Assert.AreEqual(TorchSharp.DeviceType.CPU, checkpoint.StateDict["w"].device_type);
        Assert.AreEqual(1f, checkpoint.StateDict["w"].to(ScalarType.Float32).item<float>());
    }

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void PlainValuesAndNestedContainersComeBack(string format)
    {
        var writer = new TestCheckpointWriter();
        writer.Storages["s"] = new("FloatStorage", 1, FloatBytes([42f]));
        var big = BigInteger.Pow(2, 70) + 3;
        var root = new Dictionary<string, object?>
        {
            ["epoch"] = 17L,
            ["negative"] = -5_000_000_000L,
            ["big"] = big,
            ["lr"] = 1e-3,
            ["name"] = "Tacotron2 — ünïcode",
            ["flags"] = new List<object?> { true, false, null },
            ["pair"] = new object?[] { 1L, "two" },
            ["config"] = new Dictionary<string, object?> { ["WN_config"] = new Dictionary<string, object?> { ["n_layers"] = 8L } },
            ["rng"] = new List<object?> { new TensorSpec("s", 0, [1], [1]) },
        };
        using var checkpoint = Load(writer, root, format);
        var r = (Dictionary<string, object?>)checkpoint.Root!;
        Assert.AreEqual(17L, r["epoch"]);
        Assert.AreEqual(-5_000_000_000L, r["negative"]);
        Assert.AreEqual(big, r["big"]);
        Assert.AreEqual(1e-3, r["lr"]);
        Assert.AreEqual("Tacotron2 — ünïcode", r["name"]);
        CollectionAssert.AreEqual(new object?[] { true, false, null }, (List<object?>)r["flags"]!);
        CollectionAssert.AreEqual(new object?[] { 1L, "two" }, (object?[])r["pair"]!);
        Assert.AreEqual(8L, ((Dictionary<string, object?>)checkpoint.Config!["WN_config"]!)["n_layers"]);
        var tensor = (Tensor)((List<object?>)r["rng"]!)[0]!;
        Assert.AreEqual(42f, tensor[0].item<float>());
    }

    [TestMethod]
    public void OrderedDictsIntKeysAndMemoisedValuesAreRead()
    {
        // collections.OrderedDict([(0, 'a'), (1, 'b')]) and a memoised list referenced twice.
        var w = new PickleWriter().Proto(2).EmptyDict().Mark()
            .Str("od").Global("collections", "OrderedDict").Mark().EmptyList().Mark()
                .Mark().Int(0).Str("a").Tuple().Mark().Int(1).Str("b").Tuple().Appends().Tuple().Reduce()
            .Str("list").EmptyList().BinPut(9).Mark().Int(3).Appends()
            .Str("again").BinGet(9)
            .Str("size").Global("torch", "Size").Mark().Mark().Int(2).Int(3).Tuple().Tuple().Reduce()
            .SetItems().Stop();
        using var checkpoint = TorchCheckpoint.Load(new MemoryStream(new TestCheckpointWriter().LegacyWith(w.ToArray())), "od.pt");
        var root = (Dictionary<string, object?>)checkpoint.Root!;
        var od = (Dictionary<string, object?>)root["od"]!;
        CollectionAssert.AreEqual(new[] { "0", "1" }, od.Keys.ToList());
        Assert.AreEqual("b", od["1"]);
        Assert.AreSame(root["list"], root["again"]);
        CollectionAssert.AreEqual(new object?[] { 2L, 3L }, (object?[])root["size"]!);
    }

    [TestMethod]
    public void LegacyStorageViewsAreOffsetIntoTheirRoot()
    {
        var values = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        var writer = new TestCheckpointWriter();
        writer.Storages["root"] = new("FloatStorage", values.Length, FloatBytes(values));
        writer.LegacyViews["root"] = ("view1", 4, 5);
        using var checkpoint = Load(writer, new Dictionary<string, object?> { ["v"] = new TensorSpec("root", 1, [3], [1]) }, "legacy");
        CollectionAssert.AreEqual(new[] { 5f, 6f, 7f }, checkpoint.StateDict["v"].data<float>().ToArray());
    }

    [TestMethod]
    public void ZipArchiveFolderNameDoesNotMatter()
    {
        var writer = new TestCheckpointWriter();
        writer.Storages["0"] = new("FloatStorage", 2, FloatBytes([1f, 2f]));
        var bytes = writer.Zip(new Dictionary<string, object?> { ["x"] = new TensorSpec("0", 0, [2], [1]) }, archiveName: "my_model_v3");
        using var checkpoint = TorchCheckpoint.Load(new MemoryStream(bytes), "named.pt");
        Assert.IsTrue(checkpoint.IsZipFormat);
        CollectionAssert.AreEqual(new[] { 1f, 2f }, checkpoint.StateDict["x"].data<float>().ToArray());
    }

    [TestMethod]
    public void LoadFromPathReadsAFileAndDisposeFreesTensors()
    {
        var writer = new TestCheckpointWriter();
        writer.Storages["0"] = new("HalfStorage", 2, [0x00, 0x3c, 0x00, 0xc0]);
        var path = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), $"ckpt-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, writer.Legacy(new Dictionary<string, object?> { ["state_dict"] = new Dictionary<string, object?> { ["module.h"] = new TensorSpec("0", 0, [2], [1]) } }));
        try
        {
            Tensor tensor;
            using (var checkpoint = TorchCheckpoint.Load(path))
            {
                Assert.AreEqual(path, checkpoint.FilePath);
                tensor = checkpoint.StateDict["h"];
                Assert.AreEqual(ScalarType.Float16, tensor.dtype);
                CollectionAssert.AreEqual(new[] { 1f, -2f }, tensor.to(ScalarType.Float32).data<float>().ToArray());
            }
            Assert.IsTrue(tensor.IsInvalid, "disposed with the checkpoint");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void UnwrapDistributedKeyFollowsNvidiaReference()
    {
        Assert.AreEqual("decoder.prenet.layers.0.linear_layer.weight", TorchCheckpoint.UnwrapDistributedKey("module.decoder.prenet.layers.0.linear_layer.weight"));
        Assert.AreEqual("embedding.weight", TorchCheckpoint.UnwrapDistributedKey("module.1.embedding.weight"));
        // str.replace, anywhere in the key, 'module.1.' first.
        Assert.AreEqual("a.b", TorchCheckpoint.UnwrapDistributedKey("a.module.b"));
        Assert.AreEqual("x", TorchCheckpoint.UnwrapDistributedKey("module.module.1.x"));
        Assert.AreEqual("encoder.1.weight", TorchCheckpoint.UnwrapDistributedKey("encoder.1.weight"));
    }

    [TestMethod]
    public void DeeplyNestedListsDoNotOverflowTheStack()
    {
        const int depth = 200_000;
        var w = new PickleWriter().Proto(2);
        for (int i = 0; i < depth; i++) w.EmptyList();
        for (int i = 1; i < depth; i++) w.Op((byte)'a');
        using var checkpoint = TorchCheckpoint.Load(new MemoryStream(new TestCheckpointWriter().LegacyWith(w.Stop().ToArray())), "deep.pt");
        Assert.IsInstanceOfType<List<object?>>(checkpoint.Root);
    }
}
