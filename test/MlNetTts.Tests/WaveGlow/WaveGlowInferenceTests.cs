using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

[TestClass]
public sealed class WaveGlowInferenceTests
{
    [TestMethod]
    public void ASeededGeneratorMakesInferenceReproducible()
    {
        using var model = WaveGlowFixture.Model(weightNorm: false);
        using var scope = NewDisposeScope();
        var mel = WaveGlowFixture.Fixtures.Tensor("infer.mel");
        var a = model.Infer(mel, 0.6, new Generator(7));
        var b = model.Infer(mel, 0.6, new Generator(7));
        var c = model.Infer(mel, 0.6, new Generator(8));
        TensorAssert.Close(a, b, 0, 0, "same seed");
        Assert.IsFalse(a.allclose(c, rtol: 0, atol: 0), "another seed, other audio");
    }

    [TestMethod]
    public void InferenceDropsTheUpsamplersOverhangAndTheGroupRemainder()
    {
        using var model = WaveGlowFixture.Model(weightNorm: false);
        using var scope = NewDisposeScope();
        var config = model.Config;
        long frames = 5;
        var audio = model.Infer(zeros(1, config.NMelChannels, frames), 0.0, new Generator(1));
        long upsampled = (frames - 1) * model.Upsampler.Stride + model.Upsampler.KernelSize;
        long kept = upsampled - model.Upsampler.Overhang;
        CollectionAssert.AreEqual(new[] { 1L, kept / config.NGroup * config.NGroup }, audio.shape);
    }

    [TestMethod]
    public void MixedPrecisionStaysCloseToFloat32AndReturnsFloat32()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = WaveGlowFixture.Model(weightNorm: true);
        using var scope = NewDisposeScope();
        var mel = f.Tensor("forward.mel");
        var audioIn = f.Tensor("forward.audio");
        var full = model.call(mel, audioIn);
        model.Precision = Precision.Mixed;
        var mixed = model.call(mel, audioIn);
        Assert.AreEqual(ScalarType.Float32, mixed.Z.dtype);
        Assert.IsFalse(full.Z.allclose(mixed.Z, rtol: 0, atol: 0), "the convolutions really ran in bfloat16");
        TensorAssert.Close(full.Z, mixed.Z, 0.05, 0.05, "z in bf16");
        for (int k = 0; k < full.LogDetW.Count; k++)
            TensorAssert.Close(full.LogDetW[k], mixed.LogDetW[k], 0, 0, $"log_det_W.{k} stays float32");

        model.RemoveWeightNorm();
        var inferred = model.Infer(f.Tensor("infer.mel"), 0.0, WaveGlowFixture.StoredNoise());
        Assert.AreEqual(ScalarType.Float32, inferred.dtype);
        TensorAssert.Close(f.Tensor("infer.audio_sigma0"), inferred, 0.05, 0.05, "bf16 inference");
    }

    [TestMethod]
    public void ForwardDropsTheGroupRemainderAndRejectsAudioLongerThanTheMel()
    {
        var f = WaveGlowFixture.Fixtures;
        using var model = WaveGlowFixture.Model(weightNorm: true);
        using var scope = NewDisposeScope();
        var mel = f.Tensor("forward.mel");
        var audio = f.Tensor("forward.audio");
        long g = model.Config.NGroup;
        long whole = (audio.shape[1] - 1) / g * g;
        var trimmed = model.call(mel, audio.narrow(1, 0, whole)).Z;
        var ragged = model.call(mel, audio.narrow(1, 0, whole + g - 1)).Z;
        CollectionAssert.AreEqual(new[] { audio.shape[0], g, whole / g }, ragged.shape);
        TensorAssert.Close(trimmed, ragged, 0, 0, "the last partial group is dropped");

        long covered = (mel.shape[2] - 1) * model.Upsampler.Stride + model.Upsampler.KernelSize;
        var tooLong = zeros(audio.shape[0], covered + 1);
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.call(mel, tooLong));
        StringAssert.Contains(error.Message, "samples");
    }

    [TestMethod]
    public void AMelWithTheWrongChannelsIsRejected()
    {
        using var model = WaveGlowFixture.Model(weightNorm: false);
        using var scope = NewDisposeScope();
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.Infer(zeros(1, model.Config.NMelChannels + 1, 4), 0.0));
        StringAssert.Contains(error.Message, "mel");
    }
}
