using MlNetTts.IO;

namespace MlNetTts.Tests.IO;

[TestClass]
public sealed class AtomicFileTests
{
    private DirectoryInfo _dir = null!;

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnettts-atomic-");

    [TestCleanup]
    public void DeleteFolder() => _dir.Delete(recursive: true);

    [TestMethod]
    public void WritesANewFile()
    {
        var path = Path.Combine(_dir.FullName, "sub", "a.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
    }

    [TestMethod]
    public void AFailedWriteLeavesThePreviousFileAndNoTemporaryFile()
    {
        var path = Path.Combine(_dir.FullName, "checkpoint.pt");
        AtomicFile.WriteAllText(path, "good");

        Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full (simulated)");
        }));

        Assert.AreEqual("good", File.ReadAllText(path));
        Assert.HasCount(1, _dir.GetFiles());
    }

    [TestMethod]
    public void ReplacesAnExistingFile()
    {
        var path = Path.Combine(_dir.FullName, "x.txt");
        AtomicFile.WriteAllText(path, "old");
        AtomicFile.WriteAllText(path, "new");
        Assert.AreEqual("new", File.ReadAllText(path));
        Assert.HasCount(1, _dir.GetFiles());
    }
}
