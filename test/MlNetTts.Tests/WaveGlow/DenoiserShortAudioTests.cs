using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

[TestClass]
public sealed class DenoiserShortAudioTests
{
    [TestMethod]
    public void AudioShorterThanHalfAWindowComesBackUnchangedInWholeHops()
    {
        manual_seed(3);
        using var model = new WaveGlowModel(new WaveGlowConfig { NMelChannels = 8, NFlows = 2, NEarlyEvery = 1, WN = new WaveNetConfig { NLayers = 1, NChannels = 8 } }, weightNorm: false);
        using var denoiser = new Denoiser(model);
        using var scope = NewDisposeScope();
        var audio = randn(1, 300) * 0.1;

        var result = denoiser.Denoise(audio);

        CollectionAssert.AreEqual(new long[] { 1, 1, 256 }, result.shape);
        Assert.IsTrue(result.squeeze(1).allclose(audio.narrow(1, 0, 256), rtol: 0, atol: 0));
    }
}
