using MlNetTts.Tests.Fixtures;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>The C# WaveNet gate against libtorch's tanh * sigmoid.</summary>
[TestClass]
public sealed class GatedActivationTests
{
    [TestMethod]
    [DataRow(1, 3, 2085, DisplayName = "one item, a length that is no multiple of the chunk or the vector")]
    [DataRow(2, 16, 64, DisplayName = "two items")]
    public void Float32GateMatchesLibtorch(int batch, int channels, int steps)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var a = randn(batch, 2 * channels, steps) * 3;
        var expected = a.narrow(1, 0, channels).tanh() * a.narrow(1, channels, channels).sigmoid();
        TensorAssert.Close(expected, GatedActivation.Apply(a, 2), 1e-6, 1e-5, "gate");
    }

    [TestMethod]
    public void Bfloat16GateMatchesLibtorchWithinOneRounding()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var a = (randn(2, 8, 1037) * 3).to(ScalarType.BFloat16);
        var exact = a.to(ScalarType.Float32);
        // The float32 gate of the same bfloat16 inputs, rounded once: ours rounds once, so it must equal it.
        var expected = (exact.narrow(1, 0, 4).tanh() * exact.narrow(1, 4, 4).sigmoid()).to(ScalarType.BFloat16);
        var actual = GatedActivation.Apply(a, 2);
        Assert.AreEqual(ScalarType.BFloat16, actual.dtype);
        TensorAssert.Close(expected.to(ScalarType.Float32), actual.to(ScalarType.Float32), 1e-6, 1e-2, "gate vs float32 rounded once");
        var libtorch = a.narrow(1, 0, 4).tanh() * a.narrow(1, 4, 4).sigmoid();
        TensorAssert.Close(libtorch.to(ScalarType.Float32), actual.to(ScalarType.Float32), 1e-2, 2e-2, "gate vs libtorch's bfloat16 ops");
    }

    [TestMethod]
    public void ANaNInputGivesNaNOutRatherThanANumber()
    {
        using var scope = NewDisposeScope();
        var a = ones(1, 2, 40);
        a[0, 0, 33] = tensor(float.NaN);
        a[0, 1, 5] = tensor(float.NaN);
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            var gate = GatedActivation.Apply(a.to(dtype), 1).to(ScalarType.Float32);
            Assert.IsTrue(float.IsNaN(gate[0, 0, 33].item<float>()), $"{dtype}: NaN in the filter half");
            Assert.IsTrue(float.IsNaN(gate[0, 0, 5].item<float>()), $"{dtype}: NaN in the gate half");
            Assert.AreEqual(38, gate.isfinite().sum().item<long>(), $"{dtype}: the rest finite");
        }
    }

    [TestMethod]
    public void ANonContiguousOrOddChannelInputIsRefusedByName()
    {
        using var scope = NewDisposeScope();
        Assert.IsFalse(GatedActivation.Accepts(randn(1, 4, 10).transpose(1, 2)));
        Assert.IsFalse(GatedActivation.Accepts(randn(1, 3, 10)));
        var error = Assert.ThrowsExactly<ArgumentException>(() => GatedActivation.Apply(randn(1, 3, 10), 1));
        StringAssert.Contains(error.Message, "(B, 2C, T)");
    }
}
