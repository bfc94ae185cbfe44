using static TorchSharp.torch;

namespace MlNetTts.Tests.Fixtures;

/// <summary>Tensor comparisons that say where and by how much they fail.</summary>
public static class TensorAssert
{
    /// <summary>|actual - expected| &lt;= atol + rtol*|expected| elementwise, compared in float64; shapes must be equal.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol, double rtol, string what)
    {
        using var scope = NewDisposeScope();
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        var e = expected.detach().cpu().to(ScalarType.Float64);
        var a = actual.detach().cpu().to(ScalarType.Float64);
        Assert.IsFalse(a.isnan().any().item<bool>(), $"{what}: result has NaN");
        var excess = (a - e).abs() - (atol + rtol * e.abs());
        var worst = excess.argmax().item<long>();
        var worstExcess = excess.flatten()[worst].item<double>();
        if (worstExcess > 0)
        {
            long failing = (excess > 0).sum().item<long>();
            Assert.Fail($"{what}: {failing} of {e.numel()} elements outside atol {atol:g3} + rtol {rtol:g3}*|ref|; worst at flat index {worst}: " +
                        $"ours {a.flatten()[worst].item<double>():g9}, reference {e.flatten()[worst].item<double>():g9}; max |diff| {(a - e).abs().max().item<double>():g3}");
        }
    }

    /// <summary>Exact equality of shapes and values (integers, booleans).</summary>
    public static void Equal(Tensor expected, Tensor actual, string what)
    {
        using var scope = NewDisposeScope();
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        var e = expected.detach().cpu().to(ScalarType.Int64);
        var a = actual.detach().cpu().to(ScalarType.Int64);
        var differ = a.ne(e);
        if (differ.any().item<bool>())
            Assert.Fail($"{what}: {differ.sum().item<long>()} elements differ; ours [{string.Join(", ", a.flatten().data<long>().Take(20))}], reference [{string.Join(", ", e.flatten().data<long>().Take(20))}]");
    }
}
