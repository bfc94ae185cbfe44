using MlNetTts.Audio;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Audio;

[TestClass]
public sealed class MelSpectrogramTests
{
    private static MelSettings FixtureSettings(double? fMax = null)
    {
        var c = FrontendFixture.Current;
        return new MelSettings
        {
            SampleRate = c.SampleRate, FilterLength = c.FilterLength, HopLength = c.HopLength, WinLength = c.WinLength,
            MelChannels = c.MelChannels, FMin = c.FMin, FMax = fMax ?? c.FMax,
        };
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void LogMelMatchesReference()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram(FixtureSettings());
        var audio = ReferenceFixtures.Current.Tensor(FrontendFixture.Audio);
        ReferenceFixtures.Current.AssertMatches(FrontendFixture.Mel, mel.Compute(audio));
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void MelBasisMatchesReference()
    {
        using var scope = NewDisposeScope();
        var s = FixtureSettings();
        ReferenceFixtures.Current.AssertMatches(FrontendFixture.MelBasis,
            MelFilterBank.Create(s.SampleRate, s.FilterLength, s.MelChannels, s.FMin, s.FMax));
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void MelBasisWithTheOtherFMaxMatchesReference()
    {
        using var scope = NewDisposeScope();
        var s = FixtureSettings(FrontendFixture.OtherFMax);
        Assert.AreNotEqual(FrontendFixture.Current.FMax, s.FMax, "the fixture's two filter banks differ in fmax");
        using var mel = new MelSpectrogram(s);
        ReferenceFixtures.Current.AssertMatches(FrontendFixture.MelBasisOtherFMax, mel.MelBasis);
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void PeriodicHannWindowMatchesReference()
    {
        using var scope = NewDisposeScope();
        var length = (int)ReferenceFixtures.Current.Tensor(FrontendFixture.Window).shape[0];
        ReferenceFixtures.Current.AssertMatches(FrontendFixture.Window, HannWindow.Create(length));
    }

    [TestMethod]
    public void AudioOutsideUnitRangeIsRejected()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        var loud = full(1, 4000, 1.5f);
        var error = Assert.ThrowsExactly<ArgumentException>(() => mel.Compute(loud));
        StringAssert.Contains(error.Message, "[-1, 1]");
    }

    [TestMethod]
    public void SingleSignalGivesMelsByFrames()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        var audio = sin(arange(0, 5000, dtype: ScalarType.Float32) * 0.1f) * 0.5f;
        var single = mel.Compute(audio);
        CollectionAssert.AreEqual(new long[] { mel.Settings.MelChannels, mel.FrameCount(5000) }, single.shape);
        TensorAssert.Close(mel.Compute(audio.unsqueeze(0)).squeeze(0), single, 0, 0, "single vs batch of one");
    }

    [TestMethod]
    public void InconsistentSettingsAreRejectedByName()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => new MelSpectrogram(new MelSettings { FMax = 20000 }));
        StringAssert.Contains(error.Message, "FMax");
        error = Assert.ThrowsExactly<ArgumentException>(() => new MelSpectrogram(new MelSettings { WinLength = 2048 }));
        StringAssert.Contains(error.Message, "WinLength");
    }

    [TestMethod]
    public void ToLinearInvertsTheFilterBankWhereItIsInvertible()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        // A spectrum that lies in the filter bank's row space comes back exactly: pinv(M) M s = s for s = M^T c.
        var coefficients = rand(mel.Settings.MelChannels, 3, generator: new Generator(3)) + 0.1;
        var linear = mel.MelBasis.t().matmul(coefficients).unsqueeze(0);
        var logMel = mel.MelBasis.matmul(linear).log();
        TensorAssert.Close(linear, mel.ToLinear(logMel), 1e-5, 1e-3, "pinv(M) exp(log(M s))");
    }
}
