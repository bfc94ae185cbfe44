using MlNetTts.Tests.Fixtures;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

[TestClass]
public sealed class Invertible1x1ConvTests
{
    [TestMethod]
    public void ReverseUndoesForwardAndLogDetIsPerSampleGroup()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var conv = new Invertible1x1Conv(6);
        var x = randn(3, 6, 50);
        var (y, logDet) = conv.Forward(x);
        TensorAssert.Close(x, conv.Reverse(y), 1e-5, 1e-5, "W^-1 W x");
        var w = conv.Weight.squeeze(-1).to(ScalarType.Float64);
        Assert.AreEqual(3 * 50 * w.logdet().item<double>(), logDet.item<float>(), 1e-3);
        Assert.AreEqual(ScalarType.Float32, logDet.dtype);
        Assert.IsGreaterThan(0.0, linalg.det(w).item<double>(), "initialised with det +1, as the reference");
    }

    [TestMethod]
    public void TheInverseIsComputedOnceAcrossCalls()
    {
        using var scope = NewDisposeScope();
        using var conv = new Invertible1x1Conv(4);
        Assert.AreEqual(0, conv.InverseComputations);
        for (int i = 0; i < 5; i++) conv.Reverse(randn(2, 4, 10));
        Assert.AreEqual(1, conv.InverseComputations);
        Assert.IsFalse(conv.state_dict().Keys.Any(k => k != "conv.weight"), "the cached inverse is not in the state_dict");
    }

    [TestMethod]
    public void LoadingWeightsInvalidatesTheInverse()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = new WaveGlowModel(WaveGlowFixture.Config, weightNorm: false);
        using var scope = NewDisposeScope();
        var mel = f.Tensor("infer.mel");
        model.Infer(mel, 0.0, new Generator(1));
        Assert.IsTrue(model.InvertibleConvs.All(c => c.InverseComputations == 1));
        model.Infer(mel, 0.0, new Generator(1));
        Assert.IsTrue(model.InvertibleConvs.All(c => c.InverseComputations == 1), "not recomputed per call");

        model.LoadStateDict(WaveGlowFixture.StateDict());
        var audio = model.Infer(mel, 0.0, WaveGlowFixture.StoredNoise());
        Assert.IsTrue(model.InvertibleConvs.All(c => c.InverseComputations == 2), "recomputed once after the load");
        f.AssertMatches("infer.audio_sigma0", audio);
    }

    [TestMethod]
    public void ChangingTheWeightInPlaceIsNoticedWithoutAnExplicitInvalidation()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        using var conv = new Invertible1x1Conv(4);
        var x = randn(2, 4, 10);
        conv.Reverse(x);
        using (no_grad()) conv.Weight.copy_(conv.Weight * 2); // e.g. an optimizer step
        var (y, _) = conv.Forward(x);
        TensorAssert.Close(x, conv.Reverse(y), 1e-5, 1e-5, "inverse of the changed W");
        Assert.AreEqual(2, conv.InverseComputations);
    }
}
