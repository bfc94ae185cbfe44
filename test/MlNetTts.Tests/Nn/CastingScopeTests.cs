using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

[TestClass]
public sealed class CastingScopeTests
{
    [TestMethod]
    public void WithoutAScopeLinearIsPlainFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var x = randn(4, 8);
        var w = randn(3, 8);
        var b = randn(3);
        var result = Cast.Linear(x, w, b);
        Assert.AreEqual(ScalarType.Float32, result.dtype);
        // float32 throughout (bfloat16 would be off by ~1e-2); the small-batch kernel sums in another order than
        // libtorch, so the last bit may differ.
        TensorAssert.Close(nn.functional.linear(x, w, b), result, 1e-6, 1e-6, "linear");
    }

    [TestMethod]
    public void InABfloat16ScopeLinearIsCloseToFloat32AndReturnsFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var x = randn(16, 64);
        // Trainable weights: at inference a layer this small would skip the scope (see the next test).
        var w = randn(32, 64).requires_grad_(true);
        var b = randn(32).requires_grad_(true);
        var reference = nn.functional.linear(x, w, b);

        Tensor reduced;
        using (CastingScope.Enter(ScalarType.BFloat16))
            reduced = Cast.Linear(x, w, b);

        Assert.AreEqual(ScalarType.Float32, reduced.dtype);
        // bfloat16 keeps 8 significant bits: relative error per product ~2^-8, summed over 64 terms.
        TensorAssert.Close(reference, reduced, atol: 0.25, rtol: 0.02, "bf16 linear");
        Assert.IsFalse(reference.allclose(reduced, rtol: 0, atol: 0), "the math really ran in bfloat16");
    }

    [TestMethod]
    public void AtInferenceLayersUnderAMegabyteStayFloat32AndLargerOnesUseTheScope()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(4);
        var x = randn(2, 1024);
        var small = randn(64, 1024); // 256 KB in float32
        var large = randn(512, 1024); // 2 MB

        Tensor smallResult, largeResult;
        using (CastingScope.Enter(ScalarType.BFloat16))
        {
            smallResult = Cast.Linear(x, small, null);
            largeResult = Cast.Linear(x, large, null);
        }

        TensorAssert.Close(nn.functional.linear(x, small, null), smallResult, 1e-4, 1e-5, "small layer, float32");
        var largeReference = nn.functional.linear(x, large, null);
        TensorAssert.Close(largeReference, largeResult, atol: 1.0, rtol: 0.02, "large layer, bf16 weights");
        Assert.IsTrue((largeReference - largeResult).abs().max().item<float>() > 1e-3, "the large layer's weights really were bfloat16");
    }

    [TestMethod]
    public void EachWeightIsCastOncePerScope()
    {
        using var scope = NewDisposeScope();
        // Weights that need gradients take libtorch's path, which casts the bias too (the small-batch inference
        // kernel adds float32 biases, so it casts only the weight).
        var w = randn(8, 8).requires_grad_(true);
        var b = randn(8).requires_grad_(true);
        using var cast = CastingScope.Enter(ScalarType.BFloat16);
        for (int step = 0; step < 5; step++)
        {
            using var stepScope = NewDisposeScope(); // as a decoder step would
            _ = Cast.Linear(randn(2, 8), w, b);
        }
        Assert.AreEqual(2, cast.CastCount);
        // The cached casts survived the per-step dispose scopes.
        Assert.AreEqual(ScalarType.Float32, Cast.Linear(randn(2, 8), w, b).dtype);
    }

    [TestMethod]
    public void GradientsReachTheFloat32MasterWeights()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var w = randn(4, 6).requires_grad_(true);
        var x = randn(5, 6);
        using (CastingScope.Enter(ScalarType.BFloat16))
            Cast.Linear(x, w, null).sum().backward();

        Assert.IsNotNull(w.grad);
        Assert.AreEqual(ScalarType.Float32, w.grad!.dtype);
        // d(sum(x W^T))/dW = column sums of x broadcast over rows: compare with the float32 gradient.
        var expected = x.sum(dim: 0).unsqueeze(0).expand(4, 6); // sum(0) would be sum(dtype: Byte)
        TensorAssert.Close(expected, w.grad, atol: 0.05, rtol: 0.02, "gradient");
    }

    [TestMethod]
    public void LstmCellMatchesTorchSharpsLstmCellInFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var cell = nn.LSTMCell(10, 7);
        var p = cell.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        var x = randn(3, 10);
        var h = randn(3, 7);
        var c = randn(3, 7);

        var (hRef, cRef) = cell.forward(x, (h, c));
        var (hOurs, cOurs) = Cast.LstmCell(x, h, c, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]);

        TensorAssert.Close(hRef, hOurs, 1e-6, 1e-5, "h");
        TensorAssert.Close(cRef, cOurs, 1e-6, 1e-5, "c");
    }

    [TestMethod]
    public void Conv1dInAScopeIsCloseToFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var x = randn(2, 16, 50);
        var w = randn(8, 16, 5);
        var reference = nn.functional.conv1d(x, w, null, padding: 2);
        Tensor reduced;
        using (CastingScope.Enter(ScalarType.BFloat16))
            reduced = Cast.Conv1d(x, w, null, padding: 2);
        Assert.AreEqual(ScalarType.Float32, reduced.dtype);
        TensorAssert.Close(reference, reduced, atol: 0.5, rtol: 0.03, "bf16 conv1d");
    }

    [TestMethod]
    public void Bfloat16Conv1dIsRightForSmallChannelCountsStridesAndDilations()
    {
        // Regression: libtorch's native bfloat16 conv1d is wrong for these shapes on CPU.
        using var scope = NewDisposeScope();
        manual_seed(6);
        foreach (var (cin, cout, k, stride, padding, dilation) in new (long, long, long, long, long, long)[]
                 { (1, 1, 3, 1, 1, 1), (16, 8, 5, 1, 2, 1), (32, 64, 3, 1, 4, 4), (16, 8, 4, 2, 0, 1), (80, 512, 5, 1, 2, 1) })
        {
            // Inputs already representable in bfloat16, so only the accumulation differs from float32.
            var x = randn(2, cin, 40).to(ScalarType.BFloat16).to(ScalarType.Float32);
            var w = randn(cout, cin, k).to(ScalarType.BFloat16).to(ScalarType.Float32);
            var b = randn(cout).to(ScalarType.BFloat16).to(ScalarType.Float32);
            var reference = nn.functional.conv1d(x, w, b, stride, padding, dilation);
            Tensor reduced;
            using (CastingScope.Enter(ScalarType.BFloat16))
                reduced = Cast.Conv1d(x, w, b, stride, padding, dilation);
            var scale = reference.abs().max().item<float>();
            TensorAssert.Close(reference, reduced, atol: 0.01 * scale, rtol: 0, $"conv1d cin {cin} cout {cout} k {k} s {stride} p {padding} d {dilation}");
        }
    }

    [TestMethod]
    public void Conv1dAsMatmulEqualsConv1dInFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = randn(3, 12, 33);
        var w = randn(10, 12, 3);
        var b = randn(10);
        TensorAssert.Close(nn.functional.conv1d(x, w, b, 1, 2, 2), Cast.Conv1dAsMatmul(x, w, b, 1, 2, 2), 1e-5, 1e-5, "im2col");
    }

    [TestMethod]
    public void ScopesNestAndRestoreTheOuterOne()
    {
        Assert.IsNull(CastingScope.Current);
        using (var outer = CastingScope.Enter(ScalarType.BFloat16))
        {
            using (var inner = CastingScope.Enter(ScalarType.Float16))
                Assert.AreSame(inner, CastingScope.Current);
            Assert.AreSame(outer, CastingScope.Current);
        }
        Assert.IsNull(CastingScope.Current);
    }

    [TestMethod]
    public void DisposingAnOuterScopeFirstIsRefused()
    {
        var outer = CastingScope.Enter(ScalarType.BFloat16);
        var inner = CastingScope.Enter(ScalarType.BFloat16);
        Assert.ThrowsExactly<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
        Assert.IsNull(CastingScope.Current);
    }

    [TestMethod]
    public void Float32IsNotAReducedType()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CastingScope.Enter(ScalarType.Float32));
    }

    [TestMethod]
    public void MixedPrecisionUsesBfloat16OnCpu()
    {
        Assert.AreEqual(ScalarType.BFloat16, CPU.ReducedType());
        using var scope = Precision.Mixed.Enter(CPU);
        Assert.AreEqual(ScalarType.BFloat16, scope!.DType);
        Assert.IsNull(Precision.Float32.Enter(CPU));
    }
}
