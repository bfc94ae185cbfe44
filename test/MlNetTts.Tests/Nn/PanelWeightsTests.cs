using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

[TestClass]
public sealed unsafe class PanelWeightsTests
{
    [TestMethod]
    [DataRow(true, 1, 1)]
    [DataRow(true, 1, 2)]
    [DataRow(true, 2, 2)]
    [DataRow(false, 1, 2)]
    [DataRow(false, 2, 1)]
    public void PanelProductsEqualLibtorchLinearForEitherDtypeBatchAndThreadCount(bool bfloat16, int batch, int threads)
    {
        if (!SmallBatchGemv.IsSupported) Assert.Inconclusive("This CPU has no AVX-512; the kernel is not used here.");
        using var scope = NewDisposeScope();
        manual_seed(batch * 10 + threads);
        // 129 panels (an odd count, split unevenly between workers) and ~0.5 MB, enough for two workers; float32 K
        // of 3 and 5 chunks exercises the kernel's last odd chunk.
        const int rows = 1032;
        int[] columns = bfloat16 ? [96, 160] : [48, 80];
        var dtype = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var weights = columns.Select(k => randn(rows, k).to(dtype)).ToArray();
        var inputs = columns.Select(k => randn(batch, k)).ToArray();
        var bias = randn(rows);
        // bfloat16 -> float32 is exact, so float32 linears over the widened weights are the answer.
        var expected = nn.functional.linear(inputs[0], weights[0].to(ScalarType.Float32), bias) + nn.functional.linear(inputs[1], weights[1].to(ScalarType.Float32));

        using var panels = PanelWeights.Pack(weights);
        var actual = new float[batch * rows];
        fixed (float* y = actual)
            SmallBatchGemv.PanelSumInto(panels, [TensorMemory.Address(inputs[0]), TensorMemory.Address(inputs[1])], bias.data<float>().ToArray(), y, batch, threads);

        Assert.AreEqual(rows * columns.Sum() * (bfloat16 ? 2 : 4), panels.TotalBytes, "bytes one product reads");
        TensorAssert.Close(expected, tensor(actual, [batch, rows]), 1e-4, 1e-5, "panel product");
    }

    [TestMethod]
    public void OnlyWholePanelsOfOneDtypeAndRowCountArePacked()
    {
        using var scope = NewDisposeScope();
        var good = zeros(16, 64, dtype: ScalarType.BFloat16);
        Assert.IsTrue(PanelWeights.CanPack([good, zeros(16, 32, dtype: ScalarType.BFloat16)]), "bfloat16, 2 panels, 64-byte rows");
        Assert.IsTrue(PanelWeights.CanPack([zeros(8, 16)]), "float32 rows of one 64-byte chunk");
        var refused = new (string Why, Tensor[] Weights)[]
        {
            ("rows not a multiple of 8", [zeros(12, 64, dtype: ScalarType.BFloat16)]),
            ("bfloat16 rows not whole 64-byte chunks", [zeros(16, 40, dtype: ScalarType.BFloat16)]),
            ("float32 rows not whole 64-byte chunks", [zeros(16, 24)]),
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
