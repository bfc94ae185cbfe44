using MlNetTts.Audio;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Audio;

[TestClass]
public sealed class StftTests
{
    [TestMethod]
    [TestCategory("Parity")]
    public void MagnitudeMatchesReference()
    {
        using var scope = NewDisposeScope();
        var config = FrontendFixture.Current;
        var audio = ReferenceFixtures.Current.Tensor(FrontendFixture.Audio);
        using var stft = new Stft(config.FilterLength, config.HopLength, config.WinLength);
        var (magnitude, phase) = stft.Transform(audio);
        ReferenceFixtures.Current.AssertMatches(FrontendFixture.Magnitude, magnitude);
        CollectionAssert.AreEqual(magnitude.shape, phase.shape);
        Assert.AreEqual(stft.FrameCount(audio.shape[1]), magnitude.shape[2]);
    }

    [TestMethod]
    public void InverseOfTransformGivesTheSignalBack()
    {
        using var scope = NewDisposeScope();
        using var stft = new Stft(256, 64, 256);
        var generator = new TorchSharp.torch.Generator(7);
        var audio = rand(new long[] { 2, 2000 }, generator: generator) - 0.5;
        var (magnitude, phase) = stft.Transform(audio);
        var back = stft.Inverse(magnitude, phase);
        long length = (magnitude.shape[2] - 1) * 64;
        CollectionAssert.AreEqual(new long[] { 2, 1, length }, back.shape);
        TensorAssert.Close(audio.narrow(1, 0, length).unsqueeze(1), back, 1e-5, 1e-4, "inverse(transform(x))");
    }

    [TestMethod]
    public void ShortWindowIsCentredAndStillInverts()
    {
        using var scope = NewDisposeScope();
        using var stft = new Stft(256, 64, 200);
        var audio = sin(arange(0, 1500, dtype: ScalarType.Float32) * 0.05f).unsqueeze(0);
        var (magnitude, phase) = stft.Transform(audio);
        var back = stft.Inverse(magnitude, phase);
        long length = back.shape[2];
        TensorAssert.Close(audio.narrow(1, 0, length).unsqueeze(1), back, 1e-5, 1e-4, "inverse(transform(x)), window 200 of 256");
    }

    [TestMethod]
    public void TooShortOrMisshapenAudioIsRejected()
    {
        using var scope = NewDisposeScope();
        using var stft = new Stft(256, 64, 256);
        var tooShort = Assert.ThrowsExactly<ArgumentException>(() => stft.Transform(zeros(1, 128)));
        StringAssert.Contains(tooShort.Message, "128");
        Assert.ThrowsExactly<ArgumentException>(() => stft.Transform(zeros(1000)));
        Assert.ThrowsExactly<ArgumentException>(() => stft.Inverse(zeros(1, 100, 5), zeros(1, 100, 5)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Stft(1023, 256, 1023));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Stft(256, 64, 512));
    }
}
