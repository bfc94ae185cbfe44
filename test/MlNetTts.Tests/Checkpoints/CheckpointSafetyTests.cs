using MlNetTts.Checkpoints;

namespace MlNetTts.Tests.Checkpoints;

/// <summary>Hostile and broken files: refused with the documented exceptions, and nothing from them runs.</summary>
[TestClass]
public sealed class CheckpointSafetyTests
{
    public TestContext TestContext { get; set; } = null!;

    private string NewMarkerPath() => Path.Combine(Path.GetTempPath(), $"mlnettts-pwned-{Guid.NewGuid():N}");

    /// <summary>A state dict whose value is os.system("touch MARKER") built with GLOBAL + REDUCE, as real exploits do.</summary>
    private static byte[] SystemCallPickle(string module, string name, string marker) =>
        new PickleWriter().Proto(2).EmptyDict().Mark()
            .Str("state_dict").Global(module, name).Mark().Str($"touch {marker}").Tuple().Reduce()
            .SetItems().Stop().ToArray();

    public static IEnumerable<object[]> Hostile()
    {
        foreach (var format in new[] { "zip", "legacy" })
        {
            yield return [format, "posix", "system"];
            yield return [format, "os", "system"];
            yield return [format, "builtins", "eval"];
            yield return [format, "subprocess", "Popen"];
            yield return [format, "argparse", "Namespace"];
            yield return [format, "torch._utils", "_rebuild_from_type_v2"];
        }
    }

    [TestMethod]
    [DynamicData(nameof(Hostile))]
    public void ForbiddenGlobalIsRefusedByNameAndNothingRuns(string format, string module, string name)
    {
        var marker = NewMarkerPath();
        var pickle = SystemCallPickle(module, name, marker);
        var writer = new TestCheckpointWriter();
        var bytes = format == "zip" ? writer.ZipWith(pickle) : writer.LegacyWith(pickle);
        var path = Path.Combine(Path.GetTempPath(), $"mlnettts-hostile-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, bytes);
        try
        {
            var e = Assert.ThrowsExactly<ForbiddenGlobalException>(() => TorchCheckpoint.Load(path));
            Assert.AreEqual($"{module}.{name}", e.GlobalName);
            Assert.Contains($"'{module}.{name}'", e.Message);
            Assert.Contains(path, e.Message);
            Assert.IsInstanceOfType<CheckpointFormatException>(e);
            Assert.IsFalse(File.Exists(marker), "the pickled command must not have run");
        }
        finally
        {
            File.Delete(path);
            File.Delete(marker);
        }
    }

    [TestMethod]
    public void StackGlobalAndInstAreCheckedTooAndTheFirstForbiddenGlobalStopsTheRead()
    {
        var marker = NewMarkerPath();
        // Protocol 4: STACK_GLOBAL takes module and name from the stack.
        var stackGlobal = new PickleWriter().Proto(4).Str("os").Str("system").Op(0x93).Mark().Str($"touch {marker}").Tuple().Reduce().Stop();
        var e = Assert.ThrowsExactly<ForbiddenGlobalException>(() => TorchCheckpoint.Load(new MemoryStream(new TestCheckpointWriter().LegacyWith(stackGlobal.ToArray())), "stack.pt"));
        Assert.AreEqual("os.system", e.GlobalName);
        // Protocol 0/1: INST names the class inline and calls it with the marked arguments.
        var inst = new PickleWriter().Proto(2).Mark().Str($"touch {marker}").Raw("ios\nsystem\n"u8).Stop();
        e = Assert.ThrowsExactly<ForbiddenGlobalException>(() => TorchCheckpoint.Load(new MemoryStream(new TestCheckpointWriter().LegacyWith(inst.ToArray())), "inst.pt"));
        Assert.AreEqual("os.system", e.GlobalName);
        Assert.IsFalse(File.Exists(marker));
    }

    [TestMethod]
    public void UnknownOpcodeIsNamed()
    {
        var pickle = new PickleWriter().Proto(2).EmptyDict().Op(0xff).Stop().ToArray();
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchCheckpoint.Load(new MemoryStream(new TestCheckpointWriter().ZipWith(pickle)), "op.pt"));
        Assert.Contains("unknown pickle opcode 0xff", e.Message);
        Assert.Contains("op.pt", e.Message);
    }

    [TestMethod]
    public void StorageLargerThanTheFileIsRefusedBeforeAllocating()
    {
        foreach (var format in new[] { "zip", "legacy" })
        {
            var writer = new TestCheckpointWriter();
            writer.Storages["0"] = new("DoubleStorage", 1L << 50, new byte[16]);
            var root = new Dictionary<string, object?> { ["w"] = new TensorSpec("0", 0, [2], [1]) };
            var bytes = format == "zip" ? writer.Zip(root) : writer.Legacy(root);
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchCheckpoint.Load(new MemoryStream(bytes), "huge.pt"));
            Assert.Contains("cannot fit", e.Message, format);
        }
    }

    [TestMethod]
    public void ViewPastTheStorageIsRefused()
    {
        foreach (var format in new[] { "zip", "legacy" })
        {
            var writer = new TestCheckpointWriter();
            writer.Storages["0"] = new("FloatStorage", 4, new byte[16]);
            var root = new Dictionary<string, object?> { ["w"] = new TensorSpec("0", 1, [2, 2], [2, 1]) };
            var bytes = format == "zip" ? writer.Zip(root) : writer.Legacy(root);
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchCheckpoint.Load(new MemoryStream(bytes), "view.pt"));
            Assert.Contains("past the storage", e.Message, format);
        }
    }

    [TestMethod]
    public void ManyOverlappingViewsOfOneStorageHitTheAllocationBound()
    {
        // ~100 bytes of pickle per 1 MB view of the same 1 MB storage: far more tensor memory than the file justifies.
        var writer = new TestCheckpointWriter();
        const long numel = 1 << 18;
        writer.Storages["0"] = new("FloatStorage", numel, new byte[numel * 4]);
        var state = new Dictionary<string, object?>();
        for (int i = 0; i < 200; i++) state[$"w{i}"] = new TensorSpec("0", 0, [numel], [1]);
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchCheckpoint.Load(new MemoryStream(writer.Legacy(state)), "views.pt"));
        Assert.Contains("implausibly many", e.Message);
    }

    [TestMethod]
    public void NonCheckpointsAndTruncatedFilesGiveTheDocumentedException()
    {
        var writer = new TestCheckpointWriter();
        writer.Storages["0"] = new("FloatStorage", 4, new byte[16]);
        var root = new Dictionary<string, object?> { ["w"] = new TensorSpec("0", 0, [4], [1]) };
        var legacy = writer.Legacy(root);
        var zip = writer.Zip(root);
        var cases = new Dictionary<string, byte[]>
        {
            ["empty"] = [],
            ["text"] = "hello, I am not a checkpoint\n"u8.ToArray(),
            ["pickle of an int"] = new PickleWriter().Proto(2).Int(5).Stop().ToArray(),
            ["legacy without its data"] = legacy[..^8],
            ["legacy cut in the pickle"] = legacy[..(legacy.Length / 3)],
            ["zip cut in half"] = zip[..(zip.Length / 2)],
            ["zip without data.pkl"] = ZipWithout(zip, "archive/data.pkl"),
            ["zip without a storage"] = ZipWithout(zip, "archive/data/0"),
        };
        foreach (var (name, bytes) in cases)
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchCheckpoint.Load(new MemoryStream(bytes), $"{name}.pt"), name);
            Assert.Contains($"{name}.pt", e.Message, name);
        }
        Assert.ThrowsExactly<FileNotFoundException>(() => TorchCheckpoint.Load(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.pt")));
    }

    [TestMethod]
    public void CheckpointWithoutAStateDictSaysSo()
    {
        using var checkpoint = TorchCheckpoint.Load(new MemoryStream(new TestCheckpointWriter().Legacy(new Dictionary<string, object?> { ["epoch"] = 3L })), "nostate.pt");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => checkpoint.StateDict);
        Assert.Contains("'epoch'", e.Message);
    }

    private static byte[] ZipWithout(byte[] zip, string entryName)
    {
        using var output = new MemoryStream();
        output.Write(zip);
        using (var archive = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
            archive.GetEntry(entryName)!.Delete();
        return output.ToArray();
    }
}
