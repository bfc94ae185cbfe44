using System.Reflection;
using System.Runtime.InteropServices;
using MlNetTts.Build;
using MlNetTts.Runtime;

namespace MlNetTts.Tests.Build;

/// <summary>
/// The native compatibility step (build/NativeCompat) is what makes TorchSharp load on systems whose
/// libstdc++ lacks GLIBCXX_3.4.32, it changes exactly what it must, and applying it twice changes nothing.
/// </summary>
[TestClass]
public sealed class NativeCompatTests
{
    private static readonly string[] Versions = Metadata("NativeCompatVersions").Split(';', StringSplitOptions.RemoveEmptyEntries);

    private readonly List<DirectoryInfo> _tempDirs = new();

    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public void DeleteTempCopies()
    {
        foreach (var dir in _tempDirs) dir.Delete(recursive: true);
    }

    [TestMethod]
    public void ParserReadsTheSystemLibStdCxxVersions()
    {
        var system = RequireLinuxLibStdCxx();
        var defined = ElfSymbolVersions.DefinedVersions(File.ReadAllBytes(system));
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [TestMethod]
    public void UnpatchedLibraryFailsToLoadWhereTheSystemLacksTheVersion()
    {
        var missing = MissingVersions();
        TorchRuntime.EnsureLoaded(); // its dependencies (libtorch, libc10) are then resident, so only versions can fail
        var copy = CopyToTemp(PackageLibrary());

        bool loaded = NativeLibrary.TryLoad(copy, out var handle);
        if (loaded) NativeLibrary.Free(handle);

        Assert.IsFalse(loaded, "the library as shipped in the NuGet package must not load here");
        var error = Assert.ThrowsExactly<DllNotFoundException>(() => NativeLibrary.Load(copy));
        StringAssert.Contains(error.Message, missing[0]);
    }

    [TestMethod]
    public void PatchedPackageLibraryEqualsTheCopyThisProcessLoaded()
    {
        MissingVersions();
        TorchRuntime.EnsureLoaded();
        var bytes = File.ReadAllBytes(PackageLibrary());

        foreach (var version in Versions)
            Assert.AreEqual(ElfSymbolVersions.MarkResult.Marked, ElfSymbolVersions.MarkWeak(bytes, version),
                "the NuGet cache copy must be untouched by the build");

        CollectionAssert.AreEqual(File.ReadAllBytes(OutputLibrary()), bytes,
            "the output folder holds exactly the package library with the listed versions made weak");
    }

    [TestMethod]
    public void PatchingChangesOneFlagAndIsIdempotent()
    {
        RequireLinuxLibStdCxx();
        var original = File.ReadAllBytes(PackageLibrary());
        var once = (byte[])original.Clone();
        foreach (var version in Versions) ElfSymbolVersions.MarkWeak(once, version);
        var twice = (byte[])once.Clone();

        foreach (var version in Versions)
            Assert.AreEqual(ElfSymbolVersions.MarkResult.AlreadyWeak, ElfSymbolVersions.MarkWeak(twice, version));

        CollectionAssert.AreEqual(once, twice);
        int changedBytes = original.Zip(once).Count(p => p.First != p.Second);
        Assert.AreEqual(Versions.Length, changedBytes, "one vna_flags byte per weakened version");
    }

    [TestMethod]
    public void VersionTheLibraryDoesNotRequireIsReportedNotRequired()
    {
        RequireLinuxLibStdCxx();
        var bytes = File.ReadAllBytes(PackageLibrary());
        Assert.AreEqual(ElfSymbolVersions.MarkResult.NotRequired, ElfSymbolVersions.MarkWeak(bytes, "GLIBCXX_99.0"));
    }

    [TestMethod]
    public void NonElfInputIsRejectedWithAClearError()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ElfSymbolVersions.MarkWeak(new byte[128], "GLIBCXX_3.4.32"));
        StringAssert.Contains(error.Message, "not an ELF file");
    }

    private static string RequireLinuxLibStdCxx()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("the native compatibility step applies to Linux only");
        return ElfSymbolVersions.FindSystemLibStdCxx() ?? throw new AssertFailedException("no libstdc++.so.6 found");
    }

    /// <summary>The listed versions this system's libstdc++ lacks; inconclusive where it has them all (nothing to prove there).</summary>
    private static string[] MissingVersions()
    {
        var defined = ElfSymbolVersions.DefinedVersions(File.ReadAllBytes(RequireLinuxLibStdCxx()));
        var missing = Versions.Where(v => !defined.Contains(v)).ToArray();
        if (missing.Length == 0) Assert.Inconclusive("this system's libstdc++ has every listed version: the step is a no-op here");
        return missing;
    }

    private static string PackageLibrary()
    {
        var path = Path.Combine(Metadata("NuGetPackageRoot"), "torchsharp", Metadata("TorchSharpVersion"),
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(path), $"expected the package's native library at {path}");
        return path;
    }

    private static string OutputLibrary()
    {
        var found = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.HasCount(1, found, "exactly one libLibTorchSharp.so in the test output folder");
        return found[0];
    }

    private string CopyToTemp(string path)
    {
        var dir = Directory.CreateTempSubdirectory("mlnettts-compat-");
        _tempDirs.Add(dir);
        TestContext.WriteLine($"unpatched copy: {dir.FullName}");
        var copy = Path.Combine(dir.FullName, Path.GetFileName(path));
        File.Copy(path, copy);
        return copy;
    }

    private static string Metadata(string key) =>
        typeof(NativeCompatTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is empty");
}
