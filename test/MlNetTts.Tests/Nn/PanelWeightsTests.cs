using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

[TestClass]
public sealed unsafe class PanelWeightsTests
{
    [TestMethod]
    [DataRow(ScalarType.BFloat16, 1, 1)]
    [DataRow(ScalarType.Float32, 1, 2)]
    [DataRow(ScalarType.Float32, 2, 2)]
    [DataRow(ScalarType.BFloat16, 2, 1)]
    public void PanelProductsEqualLibtorchLinearOverTheStoredWeights(ScalarType source, int batch, int threads)
    {
        if (!SmallBatchGemv.IsSupported) Assert.Inconclusive("This CPU has no AVX-512; the kernel is not used here.");
        using var scope = NewDisposeScope();
        manual_seed(batch * 10 + threads);
        // 129 panels (an odd count, split unevenly between workers) and ~0.5 MB, enough for two workers.
        const int rows = 1032;
        int[] columns = [96, 160];
        var weights = columns.Select(k => randn(rows, k).to(source)).ToArray();
        var inputs = columns.Select(k => randn(batch, k)).ToArray();
        var bias = randn(rows);
        // The stored bfloat16 weights widened to float32 (exact) are what the kernel multiplies by.
        var stored = weights.Select(w => w.to(ScalarType.BFloat16).to(ScalarType.Float32)).ToArray();
        var expected = nn.functional.linear(inputs[0], stored[0], bias) + nn.functional.linear(inputs[1], stored[1]);

        using var panels = PanelWeights.Pack(weights);
        var actual = new float[batch * rows];
        fixed (float* y = actual)
            SmallBatchGemv.PanelSumInto(panels, [TensorMemory.Address(inputs[0]), TensorMemory.Address(inputs[1])], bias.data<float>().ToArray(), y, batch, threads);

        Assert.AreEqual(rows * columns.Sum() * 2, panels.TotalBytes, "bytes one product reads");
        TensorAssert.Close(expected, tensor(actual, [batch, rows]), 1e-4, 1e-5, "panel product");
    }

    [TestMethod]
    public void Float32WeightsAreRoundedToBFloat16AsLibtorchCastsThem()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var weight = randn(16, 64) * 100;
        // Ties to even both ways, values just past a tie, signed zero, infinities, NaN, the largest float (rounds to
        // infinity), subnormals.
        float[] special =
        [
            BitConverter.Int32BitsToSingle(0x3F808000), BitConverter.Int32BitsToSingle(0x3F818000), BitConverter.Int32BitsToSingle(0x3F808001),
            BitConverter.Int32BitsToSingle(unchecked((int)0xBF818000)), -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
            float.MaxValue, -float.MaxValue, float.Epsilon, BitConverter.Int32BitsToSingle(0x00018000), 1e-40f,
        ];
        weight[0, ..special.Length] = tensor(special);

        using var rounded = PanelWeights.Pack([weight]);
        using var cast = PanelWeights.Pack([weight.to(ScalarType.BFloat16)]);

        var ours = new ReadOnlySpan<byte>(rounded.Panel(0, 0), (int)rounded.TotalBytes);
        var libtorch = new ReadOnlySpan<byte>(cast.Panel(0, 0), (int)cast.TotalBytes);
        Assert.IsTrue(ours.SequenceEqual(libtorch), "every bfloat16 bit pattern as libtorch's cast gives it");
    }

    [TestMethod]
    public void OnlyWholePanelsOfOneDtypeAndRowCountArePacked()
    {
        using var scope = NewDisposeScope();
        var good = zeros(16, 64, dtype: ScalarType.BFloat16);
        Assert.IsTrue(PanelWeights.CanPack([good, zeros(16, 32, dtype: ScalarType.BFloat16)]), "bfloat16, 2 panels, 64-byte rows");
        Assert.IsTrue(PanelWeights.CanPack([zeros(8, 32)]), "float32, rounded to 64-byte bfloat16 rows");
        var refused = new (string Why, Tensor[] Weights)[]
        {
            ("rows not a multiple of 8", [zeros(12, 64, dtype: ScalarType.BFloat16)]),
            ("bfloat16 rows not whole 64-byte chunks", [zeros(16, 40, dtype: ScalarType.BFloat16)]),
            ("float32, K not a multiple of 32", [zeros(16, 48)]),
            ("two dtypes", [good, zeros(16, 64)]),
            ("two row counts", [good, zeros(24, 64, dtype: ScalarType.BFloat16)]),
            ("a transposed (non-contiguous) matrix", [zeros(64, 16, dtype: ScalarType.BFloat16).t()]),
            ("float16", [zeros(16, 64, dtype: ScalarType.Float16)]),
            ("a vector", [zeros(64)]),
            ("no terms", []),
        };
        foreach (var (why, weights) in refused)
        {
            Assert.IsFalse(PanelWeights.CanPack(weights), why);
            var error = Assert.ThrowsExactly<ArgumentException>(() => PanelWeights.Pack(weights).Dispose(), why);
            StringAssert.Contains(error.Message, "multiple of 8", why);
        }
    }
}
