using System.Reflection;
using System.Text.Json;
using MlNetTts.Checkpoints;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Fixtures;

/// <summary>
/// The NVIDIA reference fixture set: the folder named by MLNETTTS_FIXTURES, or the copy kept in
/// test/fixtures/reference. Everything a parity test needs — configs, shapes, tolerances,
/// sentences — comes from its manifest.json, never from numbers written into a test.
/// </summary>
public sealed class ReferenceFixtures
{
    public const string EnvironmentVariable = "MLNETTTS_FIXTURES";

    private static readonly Lazy<ReferenceFixtures> Shared = new(() => new ReferenceFixtures(Locate()));
    private readonly Dictionary<string, SafeTensorsFile> _files = new(StringComparer.Ordinal);

    private ReferenceFixtures(string folder)
    {
        Folder = folder;
        using var stream = File.OpenRead(PathOf("manifest.json"));
        Manifest = JsonDocument.Parse(stream).RootElement.Clone();
    }

    /// <summary>The fixture set of this test run.</summary>
    public static ReferenceFixtures Current => Shared.Value;

    public string Folder { get; }

    public JsonElement Manifest { get; }

    /// <summary>A top-level manifest section, e.g. "tacotron2", "waveglow", "audio_frontend".</summary>
    public JsonElement Section(string name) => Manifest.GetProperty(name);

    /// <summary>Full path of a file of the set.</summary>
    public string PathOf(string fileName)
    {
        var path = Path.Combine(Folder, fileName);
        if (!File.Exists(path)) throw new AssertFailedException($"fixture file {path} is missing");
        return path;
    }

    /// <summary>The manifest entry of a tensor (file, dtype, shape, tolerance, description).</summary>
    public JsonElement TensorEntry(string name) =>
        Manifest.GetProperty("tensors").TryGetProperty(name, out var entry) ? entry
        : throw new AssertFailedException($"manifest has no tensor '{name}'");

    /// <summary>Names of the manifest's tensors that start with <paramref name="prefix"/>, in manifest order.</summary>
    public IReadOnlyList<string> TensorNames(string prefix) =>
        Manifest.GetProperty("tensors").EnumerateObject().Select(p => p.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    /// <summary>Loads a tensor (CPU) from the file its manifest entry names; the caller's dispose scope owns it.</summary>
    public Tensor Tensor(string name)
    {
        var entry = TensorEntry(name);
        var file = entry.GetProperty("file").GetString()!;
        lock (_files)
        {
            if (!_files.TryGetValue(file, out var st)) _files[file] = st = SafeTensorsFile.Open(PathOf(file));
            var tensor = st.Read(name);
            var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            CollectionAssert.AreEqual(shape, tensor.shape, $"shape of fixture tensor '{name}' disagrees with the manifest");
            return tensor;
        }
    }

    /// <summary>The tensor's tolerance: |ours - ref| &lt;= atol + rtol*|ref|.</summary>
    public (double Atol, double Rtol) Tolerance(string name)
    {
        var entry = TensorEntry(name);
        if (!entry.TryGetProperty("tolerance", out var tol))
            throw new AssertFailedException($"fixture tensor '{name}' has no tolerance in the manifest (is it an input?)");
        return (tol.GetProperty("atol").GetDouble(), tol.GetProperty("rtol").GetDouble());
    }

    /// <summary>Asserts <paramref name="actual"/> matches the reference tensor within the manifest's tolerance (exactly, for integers).</summary>
    public void AssertMatches(string name, Tensor actual)
    {
        using var scope = NewDisposeScope();
        var expected = Tensor(name);
        if (expected.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool)
        {
            TensorAssert.Equal(expected, actual, name);
            return;
        }
        var (atol, rtol) = Tolerance(name);
        TensorAssert.Close(expected, actual, atol, rtol, name);
    }

    private static string Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        var repoRoot = typeof(ReferenceFixtures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepoRoot").Value!;
        return Path.Combine(repoRoot, "test", "fixtures", "reference");
    }
}
