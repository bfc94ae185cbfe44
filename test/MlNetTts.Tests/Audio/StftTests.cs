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
    [DataRow(64, 16, 64)]
    [DataRow(64, 16, 40)]
    public void InverseBasisIsThePseudoInverseOfTheScaledFourierBasis(int n, int hop, int win)
    {
        using var scope = NewDisposeScope();
        using var stft = new Stft(n, hop, win);
        int bins = n / 2 + 1;
        var t = arange(n, dtype: ScalarType.Float64);
        var k = arange(bins, dtype: ScalarType.Float64).unsqueeze(1);
        var angle = k * t * (2 * Math.PI / n);
        var fourier = cat(new[] { angle.cos(), -angle.sin() }, 0); // np.fft.fft(np.eye(n))[:bins] as real / imaginary rows
        var window = tensor(HannWindow.Centered(win, n)).to(ScalarType.Float32);
        var expected = linalg.pinv(fourier * ((double)n / hop)).t().to(ScalarType.Float32) * window;
        TensorAssert.Close(expected, stft.InverseBasis.squeeze(1), 1e-7, 1e-5, "pinv(scale * F).T * window");
        TensorAssert.Close(fourier.to(ScalarType.Float32) * window, stft.ForwardBasis.squeeze(1), 1e-6, 0, "F * window");
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
