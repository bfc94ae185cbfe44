using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>NVIDIA-format WaveGlow checkpoints (zip, legacy, DDP-prefixed) load and reproduce the reference.</summary>
[TestClass]
[TestCategory("Parity")]
public sealed class WaveGlowCheckpointTests
{
    [TestMethod]
    public void EveryCheckpointVariantLoadsAndMatchesTheReference()
    {
        var f = WaveGlowFixture.Fixtures;
        var files = WaveGlowFixture.Section.GetProperty("checkpoints").EnumerateObject().Select(p => p.Name).ToList();
        Assert.IsNotEmpty(files);
        double sigma = WaveGlowFixture.Section.GetProperty("infer").GetProperty("sigma").GetDouble();
        foreach (var file in files)
        {
            using (var model = WaveGlowModel.FromCheckpoint(f.PathOf(file)))
            {
                Assert.AreEqual(WaveGlowFixture.Config, model.Config, file);
                using var scope = NewDisposeScope();
                var output = model.call(f.Tensor("forward.mel"), f.Tensor("forward.audio"));
                f.AssertMatches("forward.z", output.Z);
                f.AssertMatches("forward.loss", new WaveGlowLoss().Compute(output));
            }
            using (var folded = WaveGlowModel.FromCheckpoint(f.PathOf(file), weightNorm: false))
            {
                Assert.IsFalse(folded.IsWeightNormed);
                using var scope = NewDisposeScope();
                f.AssertMatches("infer.audio_sigma", folded.Infer(f.Tensor("infer.mel"), sigma, WaveGlowFixture.StoredNoise()));
            }
        }
    }

    [TestMethod]
    public void ANonCheckpointFileIsRejectedNamingIt()
    {
        var path = WaveGlowFixture.Fixtures.PathOf("manifest.json");
        var error = Assert.Throws<Exception>(() => WaveGlowModel.FromCheckpoint(path));
        StringAssert.Contains(error.Message, "manifest.json");
    }
}
