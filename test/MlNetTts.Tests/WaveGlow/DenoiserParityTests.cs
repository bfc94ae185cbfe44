using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>The denoiser against NVIDIA's reference Denoiser (mode 'zeros') on the fixture audio.</summary>
[TestClass]
[TestCategory("Parity")]
public sealed class DenoiserParityTests
{
    [TestMethod]
    public void BiasAndDenoisedAudioMatchTheReference()
    {
        var f = WaveGlowFixture.Fixtures;
        double strength = WaveGlowFixture.Section.GetProperty("denoiser").GetProperty("strength").GetDouble();
        using var model = WaveGlowFixture.Model(weightNorm: true).RemoveWeightNorm();
        using var denoiser = new Denoiser(model);
        using var scope = NewDisposeScope();
        f.AssertMatches("denoiser.bias_audio", denoiser.BiasAudio);
        f.AssertMatches("denoiser.bias_spec", denoiser.BiasSpectrum);
        f.AssertMatches("denoiser.output", denoiser.Denoise(f.Tensor("denoiser.input_audio"), strength));
    }

    [TestMethod]
    public void StrengthZeroOnlyResynthesizesAndMoreStrengthRemovesMore()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = WaveGlowFixture.Model(weightNorm: false);
        using var denoiser = new Denoiser(model);
        using var scope = NewDisposeScope();
        var audio = f.Tensor("denoiser.input_audio");
        var plain = denoiser.Denoise(audio, 0.0);
        var light = denoiser.Denoise(audio, Denoiser.DefaultStrength);
        var heavy = denoiser.Denoise(audio, 100 * Denoiser.DefaultStrength);
        Assert.IsLessThan(light.pow(2).sum().item<float>(), heavy.pow(2).sum().item<float>(), "a stronger denoiser leaves less energy");
        Assert.IsFalse(plain.allclose(light, rtol: 0, atol: 0));
    }
}
