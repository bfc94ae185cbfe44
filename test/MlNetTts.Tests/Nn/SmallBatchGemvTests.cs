using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

[TestClass]
public sealed class SmallBatchGemvTests
{
    [TestInitialize]
    public void RequireKernel()
    {
        if (!SmallBatchGemv.IsSupported) Assert.Inconclusive("This CPU has no AVX-512; the kernel is not used here.");
    }

    [TestMethod]
    [DataRow(1, 13, 37)]
    [DataRow(1, 4096, 768)]
    [DataRow(3, 64, 100)]
    [DataRow(4, 512, 1024)]
    [DataRow(8, 33, 64)]
    [DataRow(7, 30, 45)]
    public void Float32SumMatchesLibtorchLinear(int batch, int rows, int k)
    {
        using var scope = NewDisposeScope();
        manual_seed(batch * 1000 + k);
        var x1 = randn(batch, k);
        var w1 = randn(rows, k);
        var b1 = randn(rows);
        var x2 = randn(batch, k + 5);
        var w2 = randn(rows, k + 5);
        var expected = nn.functional.linear(x1, w1, b1) + nn.functional.linear(x2, w2);

        var actual = SmallBatchGemv.LinearSum(new (Tensor, Tensor, Tensor?)[] { (x1, w1, b1), (x2, w2, null) }, threads: 2);

        Assert.AreEqual(ScalarType.Float32, actual.dtype);
        TensorAssert.Close(expected, actual, 1e-4, 1e-5, "sum of two linears");
    }

    [TestMethod]
    [DataRow(1, 4096, 1024)]
    [DataRow(2, 20, 75)]
    [DataRow(5, 130, 256)]
    [DataRow(8, 36, 96)]
    [DataRow(3, 9, 41)]
    public void BFloat16WeightsAreReadExactly(int batch, int rows, int k)
    {
        using var scope = NewDisposeScope();
        manual_seed(rows + k);
        var x = randn(batch, k);
        var w16 = randn(rows, k).to(ScalarType.BFloat16);
        var bias16 = randn(rows).to(ScalarType.BFloat16);
        // bfloat16 -> float32 is exact, so the float32 product over the widened weights is the answer.
        var expected = nn.functional.linear(x, w16.to(ScalarType.Float32), bias16.to(ScalarType.Float32));

        var actual = SmallBatchGemv.LinearSum(new (Tensor, Tensor, Tensor?)[] { (x, w16, bias16) }, threads: 2);

        TensorAssert.Close(expected, actual, 1e-4, 1e-5, "bf16 weights");
    }

    [TestMethod]
    public void ThreadsDoNotChangeTheResult()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = randn(2, 1536);
        var w = randn(4096, 1536).to(ScalarType.BFloat16);
        var terms = new (Tensor, Tensor, Tensor?)[] { (x, w, null) };

        var one = SmallBatchGemv.LinearSum(terms, threads: 1);
        var two = SmallBatchGemv.LinearSum(terms, threads: 2);

        TensorAssert.Close(one, two, 0, 0, "1 vs 2 threads");
    }

    [TestMethod]
    public void RefusesWhatItCannotCompute()
    {
        using var scope = NewDisposeScope();
        var w = randn(8, 4);
        Assert.IsTrue(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(8, 4), w, null) }), "batch 8");
        Assert.IsFalse(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(9, 4), w, null) }), "batch 9");
        Assert.IsFalse(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(1, 1, 4), w, null) }), "3-d input");
        Assert.IsFalse(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(1, 8), randn(4, 8).t(), null) }), "transposed weight");
        Assert.IsFalse(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(1, 4).to(ScalarType.BFloat16), w, null) }), "bf16 input");
        Assert.IsFalse(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(1, 4), randn(8, 4).to(ScalarType.Float16), null) }), "fp16 weight");
        Assert.IsFalse(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(1, 4), randn(8, 4).requires_grad_(true), null) }), "weight needing a gradient");
        using (no_grad())
            Assert.IsTrue(SmallBatchGemv.Accepts(new (Tensor, Tensor, Tensor?)[] { (randn(1, 4), randn(8, 4).requires_grad_(true), null) }), "same weight under no_grad");
    }

    [TestMethod]
    public void LstmCellGivesTheSameStateWithAndWithoutTheKernel()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var input = randn(1, 768);
        var h = randn(1, 1024);
        var c = randn(1, 1024);
        var wih = randn(4096, 768) * 0.03;
        var whh = randn(4096, 1024) * 0.03;
        var bih = randn(4096);
        var bhh = randn(4096);

        var (hFast, cFast) = Cast.LstmCell(input, h, c, wih, whh, bih, bhh);
        SmallBatchGemv.Enabled = false;
        try
        {
            var (hTorch, cTorch) = Cast.LstmCell(input, h, c, wih, whh, bih, bhh);
            TensorAssert.Close(hTorch, hFast, 1e-5, 1e-5, "h");
            TensorAssert.Close(cTorch, cFast, 1e-5, 1e-5, "c");
        }
        finally
        {
            SmallBatchGemv.Enabled = true;
        }
    }
}
