using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>WaveGlow against NVIDIA's reference outputs in the fixture set, within the manifest's tolerances.</summary>
[TestClass]
[TestCategory("Parity")]
public sealed class WaveGlowParityTests
{
    private static readonly string[] WeightForms = { "weight-norm", "folded" };

    [TestMethod]
    public void ForwardMatchesTheReference()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = WaveGlowFixture.Model(weightNorm: true);
        using var scope = NewDisposeScope();
        var mel = f.Tensor("forward.mel");
        var audio = f.Tensor("forward.audio");

        f.AssertMatches("forward.spect_grouped", model.GroupedConditioning(mel, audio.shape[1]));

        var output = model.call(mel, audio);
        f.AssertMatches("forward.z", output.Z);
        var logSNames = f.TensorNames("forward.log_s.");
        var logDetNames = f.TensorNames("forward.log_det_W.");
        Assert.HasCount(logSNames.Count, output.LogS);
        Assert.HasCount(logDetNames.Count, output.LogDetW);
        for (int k = 0; k < output.LogS.Count; k++)
        {
            f.AssertMatches($"forward.log_s.{k}", output.LogS[k]);
            Assert.AreEqual(ScalarType.Float32, output.LogDetW[k].dtype);
            f.AssertMatches($"forward.log_det_W.{k}", output.LogDetW[k]);
        }
        f.AssertMatches("forward.loss", new WaveGlowLoss(sigma: 1.0).Compute(output));
    }

    [TestMethod]
    public void FoldedWeightsGiveTheSameForward()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = WaveGlowFixture.Model(weightNorm: false);
        using var scope = NewDisposeScope();
        var output = model.call(f.Tensor("forward.mel"), f.Tensor("forward.audio"));
        f.AssertMatches("forward.z", output.Z);
        f.AssertMatches("forward.loss", new WaveGlowLoss().Compute(output));
    }

    [TestMethod]
    public void InferenceWithSigmaZeroMatchesTheReference()
    {
        foreach (var form in WeightForms) Infer(sigma: 0.0, "infer.audio_sigma0", form);
    }

    [TestMethod]
    public void InferenceWithTheStoredNoiseAndSigmaMatchesTheReference()
    {
        double sigma = WaveGlowFixture.Section.GetProperty("infer").GetProperty("sigma").GetDouble();
        foreach (var form in WeightForms) Infer(sigma, "infer.audio_sigma", form);
    }

    [TestMethod]
    public void InferenceDrawsNoiseInTheReferenceOrderAndShapes()
    {
        var expected = WaveGlowFixture.Section.GetProperty("infer").GetProperty("noise_shapes").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(d => d.GetInt64()).ToArray()).ToList();
        var drawn = new List<long[]>();
        using var model = WaveGlowFixture.Model(weightNorm: false);
        using var scope = NewDisposeScope();
        model.Infer(WaveGlowFixture.Fixtures.Tensor("infer.mel"), 1.0, WaveGlowFixture.StoredNoise(drawn));
        Assert.HasCount(expected.Count, drawn);
        for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], drawn[i], $"noise draw {i}");
    }

    private static void Infer(double sigma, string expectedName, string form)
    {
        var f = WaveGlowFixture.Fixtures;
        // The reference infers after remove_weightnorm; the weight-norm form must agree too.
        using var model = WaveGlowFixture.Model(weightNorm: true);
        if (form == "folded") model.RemoveWeightNorm();
        using var scope = NewDisposeScope();
        var audio = model.Infer(f.Tensor("infer.mel"), sigma, WaveGlowFixture.StoredNoise());
        var (atol, rtol) = f.Tolerance(expectedName);
        Fixtures.TensorAssert.Close(f.Tensor(expectedName), audio, atol, rtol, $"{expectedName} ({form})");
    }
}
