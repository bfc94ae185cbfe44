using System.Buffers.Binary;
using System.Reflection;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.Tests.Speech;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// mlContext.Model.Load + Transform of damaged model zips holding the speech transformers: TextToMel (a tiny Tacotron 2)
/// then MelToAudio Griffin-Lim, and MelToAudio with the fixture WaveGlow. As in <see cref="ModelZipFuzzTests"/>, half the
/// inputs corrupt the zip's bytes, half one entry's content (settings, config record or weights). Every input ends in
/// scored audio or one of <see cref="ModelZipFuzzTests.Documented"/>'s exceptions; a config that would size a model
/// beyond its weights stream is refused before anything is allocated.
/// </summary>
[TestClass]
public sealed class SpeechModelZipFuzzTests
{
    public TestContext TestContext { get; set; } = null!;

    private const int TextToMelSeed = 7001;
    private const int WaveGlowSeed = 7002;

    /// <summary>The entry holding ML.NET's TransformerChain header (its transformer count and names).</summary>
    private const string ChainHeader = "TransformerChain/Model.key";

    [TestMethod]
    public void DamagedTextToMelZipsFailCleanlyShortRun() => Run(TextToMelPipeline(), iterations: 60, TextToMelSeed);

    [TestMethod]
    [TestCategory("Fuzz")]
    public void DamagedTextToMelZipsFailCleanly() => Run(TextToMelPipeline(), FuzzBudget.Iterations(2_000), FuzzBudget.Seed(TextToMelSeed));

    [TestMethod]
    public void DamagedWaveGlowZipsFailCleanlyShortRun() => Run(WaveGlowPipeline(), iterations: 40, WaveGlowSeed);

    [TestMethod]
    [TestCategory("Fuzz")]
    public void DamagedWaveGlowZipsFailCleanly() => Run(WaveGlowPipeline(), FuzzBudget.Iterations(1_000), FuzzBudget.Seed(WaveGlowSeed));

    [TestMethod]
    public void AConfigRecordThatInflatesTheModelIsRefusedBeforeAllocating()
    {
        var (ml, zip, data, _) = TextToMelPipeline();
        var entries = ModelZipFuzzTests.Entries(zip);
        // The config record stores each key as a length-prefixed string, a one-byte tag, then the int64 value.
        var key = Encoding.UTF8.GetBytes("decoder_rnn_dim");
        byte[] marker = [(byte)key.Length, .. key];
        int k = entries.FindIndex(e => e.Bytes.AsSpan().IndexOf(marker) >= 0);
        Assert.IsGreaterThanOrEqualTo(0, k, "no entry holds the config record");
        var patched = entries[k].Bytes.ToArray();
        int at = patched.AsSpan().IndexOf(marker) + marker.Length + 1;
        BinaryPrimitives.WriteInt64LittleEndian(patched.AsSpan(at), 1 << 20); // a 4M x 1M LSTM weight: 16 TB
        var damaged = ModelZipFuzzTests.Rebuild(entries, k, patched);

        // ML.NET calls our loader by reflection: the refusal arrives wrapped in TargetInvocationException.
        var thrown = Assert.Throws<Exception>(() => ml.Model.Load(new MemoryStream(damaged), out _).Transform(data), "the inflated config was not refused");
        while (thrown is TargetInvocationException { InnerException: { } inner }) thrown = inner;
        var e = Assert.IsInstanceOfType<InvalidDataException>(thrown, thrown.ToString());
        Assert.Contains("implies at least", e.Message);
        Assert.Contains("weights stream", e.Message);
    }

    private sealed record Target(MLContext Ml, byte[] Zip, IDataView Data, string Column);

    private static Target TextToMelPipeline()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TinySpeechPipeline.ShortTexts(2));
        var model = TinySpeechPipeline.Fit(ml, data, batchSize: 2);
        var saved = new MemoryStream();
        ml.Model.Save(model, data.Schema, saved);
        return new Target(ml, saved.ToArray(), data, "Audio");
    }

    private static Target WaveGlowPipeline()
    {
        var ml = new MLContext(seed: 1);
        int channels = SpeechFixture.WaveGlowMelChannels;
        var rows = new[] { new NonFiniteMelTests.MelRow { Mel = Enumerable.Range(0, 3 * channels).Select(i => (float)(-5 + Math.Sin(i))).ToArray() } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.MelToAudio(new MelToAudioOptions
        {
            CheckpointPath = SpeechFixture.WaveGlowCheckpoint, MelSettings = MelSettings.Default with { MelChannels = channels },
        }).Fit(data);
        var saved = new MemoryStream();
        ml.Model.Save(model, data.Schema, saved);
        return new Target(ml, saved.ToArray(), data, "Audio");
    }

    private void Run(Target target, int iterations, int seed)
    {
        var (ml, zip, data, column) = target;
        var entries = ModelZipFuzzTests.Entries(zip);
        Score(ml, zip, data, column); // the pristine zip scores

        // Not ML.NET's TransformerChain header: its loader allocates an array by the transformer count it reads (a
        // damaged count allocated 11.9 GB here). That is ML.NET's code, which ModelZipFuzzTests already exercises.
        var mutable = Enumerable.Range(0, entries.Count).Where(k => entries[k].Name != ChainHeader).ToArray();
        var buffer = ByteMutator.BufferFor(Math.Max(zip.Length, entries.Max(e => e.Bytes.Length)));
        var report = FuzzLoop.Run("speech model zip", iterations, seed,
            (random, i) =>
            {
                var mutator = new ByteMutator(random, hotWindow: 256);
                if (i % 2 == 0)
                {
                    var (n, how) = mutator.Mutate(zip, buffer);
                    return new FuzzLoop.Input<byte[]>(buffer[..n], "zip bytes: " + how, n);
                }
                int k = mutable[random.Next(mutable.Length)];
                var (length, what) = mutator.Mutate(entries[k].Bytes, buffer);
                var rebuilt = ModelZipFuzzTests.Rebuild(entries, k, buffer.AsSpan(0, length));
                return new FuzzLoop.Input<byte[]>(rebuilt, $"entry {entries[k].Name}: {what}", rebuilt.Length);
            },
            bytes => Score(ml, bytes, data, column),
            e => ModelZipFuzzTests.Documented(e) ? FuzzLoop.Kind(e is TargetInvocationException { InnerException: { } inner } ? inner : e) : null,
            // WaveGlow inputs take about 0.6 s each on a loaded 2-core machine; the total bound leaves twice that.
            perInput: TimeSpan.FromSeconds(20), total: FuzzBudget.Limit(iterations, TimeSpan.FromMilliseconds(1200), TimeSpan.FromSeconds(180)),
            // As ModelZipFuzzTests: ML.NET's own loaders size arrays by counts read from the zip.
            size => 1L << 30);
        TestContext.WriteLine(report.ToString());
        Assert.IsGreaterThan(iterations / 10, report.Refused, report.ToString());
    }

    private static void Score(MLContext ml, byte[] zip, IDataView data, string name)
    {
        var loaded = ml.Model.Load(new MemoryStream(zip, writable: false), out _);
        var scored = loaded.Transform(data);
        var column = scored.Schema[name];
        using var cursor = scored.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        while (cursor.MoveNext()) get(ref value);
    }
}
