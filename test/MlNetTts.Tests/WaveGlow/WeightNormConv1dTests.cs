using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

[TestClass]
public sealed class WeightNormConv1dTests
{
    [TestMethod]
    public void ParametersHavePyTorchsNamesAndOrderInEachForm()
    {
        using var plain = new WeightNormConv1d(3, 5, 3, WeightNormForm.None);
        CollectionAssert.AreEqual(new[] { "weight", "bias" }, plain.state_dict().Keys.ToList());
        using var folded = new WeightNormConv1d(3, 5, 3, WeightNormForm.Removed);
        CollectionAssert.AreEqual(new[] { "bias", "weight" }, folded.state_dict().Keys.ToList());
        using var normed = new WeightNormConv1d(3, 5, 3, WeightNormForm.Applied);
        CollectionAssert.AreEqual(new[] { "bias", "weight_g", "weight_v" }, normed.state_dict().Keys.ToList());
        CollectionAssert.AreEqual(new long[] { 5, 1, 1 }, normed.state_dict()["weight_g"].shape);
        normed.RemoveWeightNorm();
        Assert.AreEqual(WeightNormForm.Removed, normed.Form);
        CollectionAssert.AreEqual(new[] { "bias", "weight" }, normed.state_dict().Keys.ToList());
        Assert.HasCount(2, normed.parameters().ToList());
        using var noBias = new WeightNormConv1d(3, 3, 1, WeightNormForm.None, hasBias: false);
        CollectionAssert.AreEqual(new[] { "weight" }, noBias.state_dict().Keys.ToList());
    }

    [TestMethod]
    public void WeightIsGainTimesDirectionOverItsNormPerOutputChannel()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var conv = new WeightNormConv1d(4, 6, 3, WeightNormForm.Applied, dilation: 2, padding: 2);
        var sd = conv.state_dict();
        var g = sd["weight_g"];
        var v = sd["weight_v"];
        using (no_grad()) g.mul_(rand(6, 1, 1) + 0.5);
        var v64 = v.to(ScalarType.Float64);
        var expected = v64 * g.to(ScalarType.Float64) / v64.pow(2).sum(new long[] { 1, 2 }, keepdim: true).sqrt();
        TensorAssert.Close(expected, conv.Weight(), 1e-6, 1e-6, "g v / ||v||");

        var x = randn(2, 4, 20);
        var reference = nn.functional.conv1d(x, expected.to(ScalarType.Float32), sd["bias"], padding: 2, dilation: 2);
        var before = conv.call(x);
        TensorAssert.Close(reference, before, 1e-5, 1e-5, "weight-normed conv");
        conv.RemoveWeightNorm();
        TensorAssert.Close(before, conv.call(x), 0, 0, "folded conv equals the weight-normed one");
    }

    [TestMethod]
    public void InitialisationKeepsTheWeightAndGradientsReachGainAndDirection()
    {
        using var scope = NewDisposeScope();
        using var conv = new WeightNormConv1d(2, 3, 1, WeightNormForm.Applied);
        var v = conv.state_dict()["weight_v"];
        TensorAssert.Close(v, conv.Weight(), 1e-6, 1e-6, "g = ||v|| initially, so w = v");
        conv.call(randn(1, 2, 5)).sum().backward();
        Assert.IsNotNull(conv.state_dict()["weight_g"].grad);
        Assert.IsNotNull(v.grad);
    }

    [TestMethod]
    public void InAMixedScopeTheMathRunsInBfloat16AndReturnsFloat32()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var conv = new WeightNormConv1d(64, 64, 3, WeightNormForm.Applied, padding: 1);
        var x = randn(1, 64, 100);
        var full = conv.call(x);
        Tensor reduced;
        using (CastingScope.Enter(ScalarType.BFloat16))
        {
            reduced = conv.call(x);
            var again = conv.call(x);
            TensorAssert.Close(reduced, again, 0, 0, "repeatable within a scope");
        }
        Assert.AreEqual(ScalarType.Float32, reduced.dtype);
        Assert.IsFalse(full.allclose(reduced, rtol: 0, atol: 0), "bf16 math differs from fp32");
        TensorAssert.Close(full, reduced, 0.1, 0.05, "bf16 close to fp32");
    }
}
