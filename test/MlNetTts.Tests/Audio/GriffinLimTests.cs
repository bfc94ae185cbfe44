using System.Globalization;
using System.Text.RegularExpressions;
using MlNetTts.Audio;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Audio;

[TestClass]
public sealed class GriffinLimTests
{
    private const string Magnitudes = "griffin_lim.magnitudes";
    private const string InitialPhase = "griffin_lim.init_angles";
    private const string Signal = "griffin_lim.signal";

    /// <summary>The STFT arguments of the Griffin-Lim run, from the output's description "... STFT(filter,hop,win) ...".</summary>
    private static Stft FixtureStft()
    {
        var description = ReferenceFixtures.Current.TensorEntry(Signal).GetProperty("description").GetString()!;
        var match = Regex.Match(description, @"STFT\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)");
        Assert.IsTrue(match.Success, $"cannot read the STFT arguments from the description of {Signal}: '{description}'");
        int Arg(int g) => int.Parse(match.Groups[g].Value, CultureInfo.InvariantCulture);
        return new Stft(Arg(1), Arg(2), Arg(3));
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void SignalMatchesReferenceGivenItsInitialPhase()
    {
        using var scope = NewDisposeScope();
        var fixtures = ReferenceFixtures.Current;
        int iterations = fixtures.Section("audio_frontend").GetProperty("griffin_lim").GetProperty("n_iters").GetInt32();
        using var stft = FixtureStft();
        var signal = GriffinLim.Reconstruct(fixtures.Tensor(Magnitudes), stft, iterations, fixtures.Tensor(InitialPhase));
        fixtures.AssertMatches(Signal, signal);
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void InputMagnitudesAreTheStftOfTheStatedWavSlice()
    {
        using var scope = NewDisposeScope();
        var fixtures = ReferenceFixtures.Current;
        var section = fixtures.Section("audio_frontend").GetProperty("griffin_lim");
        int start = section.GetProperty("start").GetInt32(), length = section.GetProperty("length").GetInt32();
        var wav = WaveFile.Read(fixtures.PathOf("audio_fp32.wav"), targetSampleRate: null);
        using var stft = FixtureStft();
        var slice = tensor(wav.Samples.AsSpan(start, length).ToArray()).unsqueeze(0);
        var (magnitude, _) = stft.Transform(slice);
        var (atol, rtol) = fixtures.Tolerance(FrontendFixture.Magnitude);
        TensorAssert.Close(fixtures.Tensor(Magnitudes), magnitude, atol, rtol, Magnitudes);
    }

    [TestMethod]
    public void RandomStartIsReproducibleFromTheGenerator()
    {
        using var scope = NewDisposeScope();
        using var stft = new Stft(256, 64, 256);
        var magnitudes = rand(new long[] { 1, 129, 12 }, generator: new Generator(1));
        var a = GriffinLim.Reconstruct(magnitudes, stft, 2, generator: new Generator(5));
        var b = GriffinLim.Reconstruct(magnitudes, stft, 2, generator: new Generator(5));
        var c = GriffinLim.Reconstruct(magnitudes, stft, 2, generator: new Generator(6));
        TensorAssert.Close(a, b, 0, 0, "same seed");
        Assert.IsFalse(a.allclose(c, rtol: 0, atol: 0), "another seed starts from another phase");
        CollectionAssert.AreEqual(new long[] { 1, 11 * 64 }, a.shape);
    }

    [TestMethod]
    public void IterationsBringTheSpectrumCloserToTheTarget()
    {
        using var scope = NewDisposeScope();
        using var stft = new Stft(256, 64, 256);
        var tone = (sin(arange(0, 4096, dtype: ScalarType.Float32) * 0.2f) * 0.5f).unsqueeze(0);
        var (target, _) = stft.Transform(tone);
        double Error(int iterations)
        {
            using var s = NewDisposeScope();
            var signal = GriffinLim.Reconstruct(target, stft, iterations, generator: new Generator(11));
            var (magnitude, _) = stft.Transform(signal);
            var frames = magnitude.shape[2];
            return (magnitude - target.narrow(2, 0, frames)).abs().mean().item<float>();
        }
        Assert.IsLessThan(Error(0) * 0.5, Error(20));
    }

    [TestMethod]
    public void FromLogMelGivesAudioOfTheExpectedLength()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        var tone = sin(arange(0, 8192, dtype: ScalarType.Float32) * 0.05f) * 0.5f;
        var logMel = mel.Compute(tone);
        var audio = GriffinLim.FromLogMel(logMel, mel, iterations: 4, generator: new Generator(2));
        Assert.AreEqual((logMel.shape[1] - 1) * mel.Settings.HopLength, audio.shape[0]);
        Assert.IsFalse(audio.isnan().any().item<bool>());
    }
}
