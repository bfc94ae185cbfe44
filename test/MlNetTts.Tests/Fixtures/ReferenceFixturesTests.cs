using MlNetTts.Checkpoints;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Fixtures;

[TestClass]
public sealed class ReferenceFixturesTests
{
    [TestMethod]
    public void EveryManifestTensorLoadsWithItsRecordedShapeAndDtype()
    {
        var fixtures = ReferenceFixtures.Current;
        foreach (var name in fixtures.TensorNames(""))
        {
            using var scope = NewDisposeScope();
            var entry = fixtures.TensorEntry(name);
            var tensor = fixtures.Tensor(name); // asserts the shape
            var dtype = entry.GetProperty("dtype").GetString();
            Assert.AreEqual(dtype, SafeTensorsDtypeName(tensor.dtype), name);
        }
    }

    [TestMethod]
    public void TensorStatisticsMatchTheManifest()
    {
        var fixtures = ReferenceFixtures.Current;
        foreach (var name in fixtures.TensorNames(""))
        {
            using var scope = NewDisposeScope();
            if (!fixtures.TensorEntry(name).TryGetProperty("stats", out var stats)) continue;
            var t = fixtures.Tensor(name).to(ScalarType.Float64);
            Assert.AreEqual(stats.GetProperty("min").GetDouble(), t.min().item<double>(), 1e-6 * (1 + Math.Abs(stats.GetProperty("min").GetDouble())), name + " min");
            Assert.AreEqual(stats.GetProperty("max").GetDouble(), t.max().item<double>(), 1e-6 * (1 + Math.Abs(stats.GetProperty("max").GetDouble())), name + " max");
        }
    }

    [TestMethod]
    public void TensorAssertReportsAViolation()
    {
        using var scope = NewDisposeScope();
        var expected = tensor(new float[] { 1, 2, 3 });
        var actual = tensor(new float[] { 1, 2, 3.01f });
        TensorAssert.Close(expected, actual, atol: 0.011, rtol: 0, "within");
        var failure = Assert.ThrowsExactly<AssertFailedException>(() => TensorAssert.Close(expected, actual, atol: 0.001, rtol: 0.001, "outside"));
        StringAssert.Contains(failure.Message, "1 of 3 elements");
    }

    [TestMethod]
    public void SafeTensorsWithAnOutOfRangeHeaderIsRejected()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, (byte)'{', (byte)'}']);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Open(path));
            StringAssert.Contains(error.Message, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string SafeTensorsDtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => t.ToString(),
    };
}
