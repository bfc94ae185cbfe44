using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

/// <summary>The float32 pointwise GEMM of WaveGlow inference against libtorch's 1x1 convolution.</summary>
[TestClass]
public sealed class PointwiseGemmTests
{
    [TestMethod]
    [DataRow(1, 40, 16, 64, DisplayName = "one item, K under one block")]
    [DataRow(2, 300, 24, 96, DisplayName = "two items, K over two blocks of 128 and a partial third")]
    public void ProductPlusBiasMatchesConv1d(int batch, int k, int m, int n)
    {
        RequireKernel();
        using var scope = NewDisposeScope();
        manual_seed(1);
        var x = randn(batch, k, n);
        var w = randn(m, k, 1);
        var bias = randn(m);
        var packed = PointwiseGemm.Pack(w);
        TensorAssert.Close(nn.functional.conv1d(x, w, bias), PointwiseGemm.Multiply(x, packed, bias, 2), 1e-4, 1e-5, "W x + b");
        TensorAssert.Close(nn.functional.conv1d(x, w), PointwiseGemm.Multiply(x, packed, null, 1), 1e-4, 1e-5, "W x");
    }

    [TestMethod]
    public void SomeRowsAddInPlaceOntoAnotherTensor()
    {
        RequireKernel();
        using var scope = NewDisposeScope();
        manual_seed(2);
        var x = randn(2, 270, 64);
        var w = randn(32, 270, 1);
        var bias = randn(32);
        var destination = randn(2, 16, 64);
        var expected = destination + nn.functional.conv1d(x, w, bias).narrow(1, 16, 16);
        // Rows 16-31 of W x + b added onto each item's 16 rows.
        PointwiseGemm.MultiplyAdd(x, PointwiseGemm.Pack(w), 16, 32, bias, destination, 2);
        TensorAssert.Close(expected, destination, 1e-4, 1e-5, "destination");
        var slice = Assert.ThrowsExactly<ArgumentException>(() => PointwiseGemm.MultiplyAdd(x, PointwiseGemm.Pack(w), 16, 32, bias, randn(2, 40, 64).narrow(1, 8, 16), 1));
        StringAssert.Contains(slice.Message, "contiguous");
    }

    [TestMethod]
    public void ShapesItCannotTakeAreRefusedByName()
    {
        using var scope = NewDisposeScope();
        Assert.IsFalse(PointwiseGemm.CanPack(randn(12, 5)), "rows not a multiple of 8");
        Assert.IsFalse(PointwiseGemm.TakesSteps(100), "steps not a multiple of 32");
        var error = Assert.ThrowsExactly<ArgumentException>(() => PointwiseGemm.Pack(randn(12, 5)));
        StringAssert.Contains(error.Message, "multiple of 8");
        if (!PointwiseGemm.IsSupported) return;
        var packed = PointwiseGemm.Pack(randn(8, 5));
        var wrong = Assert.ThrowsExactly<ArgumentException>(() => PointwiseGemm.Multiply(randn(1, 5, 48), packed, null, 1));
        StringAssert.Contains(wrong.Message, "multiple of 32");
    }

    private static void RequireKernel()
    {
        if (!PointwiseGemm.IsSupported) Assert.Inconclusive("PointwiseGemm needs AVX-512.");
    }
}
