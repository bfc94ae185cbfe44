using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.Tests.Speech;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// A mel holding NaN or infinity (a diverged upstream model, a damaged file) is refused with an error that names the
/// column, frame and channel (ML.NET) or the argument (core API), instead of becoming silent NaN or garbage audio.
/// </summary>
[TestClass]
public sealed class NonFiniteMelTests
{
    public sealed class MelRow
    {
        [VectorType]
        public float[] Mel { get; set; } = [];
    }

    private const int Frames = 6;
    private const int BadFrame = 2;
    private const int BadChannel = 5;

    private static MelRow[] Rows(int channels, float bad) =>
    [
        new() { Mel = Finite(channels) },
        new() { Mel = Finite(channels).Select((v, i) => i == BadFrame * channels + BadChannel ? bad : v).ToArray() },
    ];

    private static float[] Finite(int channels) => Enumerable.Range(0, Frames * channels).Select(i => (float)(-6 + 3 * Math.Sin(0.3 * i))).ToArray();

    public static IEnumerable<object[]> Cases() =>
    [
        [MelVocoder.WaveGlow, float.NaN],
        [MelVocoder.WaveGlow, float.PositiveInfinity],
        [MelVocoder.GriffinLim, float.NaN],
        [MelVocoder.GriffinLim, float.NegativeInfinity],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void MelToAudioNamesTheColumnFrameAndChannelOfANonFiniteValue(MelVocoder vocoder, float bad)
    {
        int channels = SpeechFixture.WaveGlowMelChannels;
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(channels, bad));
        var options = new MelToAudioOptions
        {
            Vocoder = vocoder, MelSettings = MelSettings.Default with { MelChannels = channels }, GriffinLimIterations = 2,
            CheckpointPath = vocoder == MelVocoder.WaveGlow ? SpeechFixture.WaveGlowCheckpoint : null,
        };
        var scored = ml.Transforms.MelToAudio(options).Fit(data).Transform(data);
        var column = scored.Schema["Audio"];
        using var cursor = scored.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> audio = default;
        Assert.IsTrue(cursor.MoveNext());
        get(ref audio);
        Assert.IsTrue(audio.DenseValues().All(float.IsFinite), "the finite row scores");
        Assert.IsTrue(cursor.MoveNext());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => get(ref audio));
        Assert.Contains("'Mel'", e.Message);
        Assert.Contains($"frame {BadFrame}, channel {BadChannel}", e.Message);
        Assert.Contains(bad.ToString(), e.Message);
    }

    [TestMethod]
    public void WaveGlowInferRefusesANonFiniteMel()
    {
        using var model = WaveGlowModel.FromCheckpoint(SpeechFixture.WaveGlowCheckpoint, weightNorm: false);
        using var scope = NewDisposeScope();
        var mel = randn(1, SpeechFixture.WaveGlowMelChannels, Frames);
        mel[0, BadChannel, BadFrame] = float.NaN;
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Infer(mel, 0.6));
        Assert.AreEqual("mel", e.ParamName);
        Assert.Contains("NaN", e.Message);
    }

    [TestMethod]
    public void GriffinLimRefusesANonFiniteLogMel()
    {
        var settings = MelSettings.Default;
        using var melSpectrogram = new MelSpectrogram(settings);
        using var scope = NewDisposeScope();
        var logMel = randn(settings.MelChannels, Frames);
        logMel[BadChannel, BadFrame] = float.PositiveInfinity;
        var e = Assert.ThrowsExactly<ArgumentException>(() => GriffinLim.FromLogMel(logMel, melSpectrogram, iterations: 2));
        Assert.AreEqual("logMel", e.ParamName);
    }
}
