using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Speech;

/// <summary>MelToAudio: WaveGlow from the fixture checkpoint (sigma, denoiser, seed), Griffin-Lim, channel checks, edge cases.</summary>
[TestClass]
public sealed class MelToAudioTests
{
    public sealed class MelRow
    {
        [VectorType]
        public float[] Mel { get; set; } = [];
    }

    /// <summary>Rows of WaveGlow-sized mels (frames-major) with <paramref name="frames"/> frames each, from a fixed pattern.</summary>
    private static MelRow[] Mels(int channels, params int[] frames) => frames.Select((f, r) => new MelRow
    {
        Mel = Enumerable.Range(0, f * channels).Select(i => (float)(-6 + 4 * Math.Sin(0.37 * i + r))).ToArray(),
    }).ToArray();

    private static MelSettings WaveGlowMel => MelSettings.Default with { MelChannels = SpeechFixture.WaveGlowMelChannels };

    [TestMethod]
    public void WaveGlowAudioEqualsTheModelsInferenceWithSeededNoiseAndDenoiser()
    {
        int channels = SpeechFixture.WaveGlowMelChannels;
        var rows = Mels(channels, 5, 9);
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new MelToAudioOptions { CheckpointPath = SpeechFixture.WaveGlowCheckpoint, MelSettings = WaveGlowMel };
        var scored = ml.Transforms.MelToAudio(options).Fit(data).Transform(data);
        Assert.AreEqual(WaveGlowMel.SampleRate, AudioAnnotations.GetSampleRate(scored.Schema["Audio"]));
        var audio = SpeechFixture.ReadVectors(scored, "Audio");

        using var model = WaveGlowModel.FromCheckpoint(SpeechFixture.WaveGlowCheckpoint, weightNorm: false);
        using var denoiser = new Denoiser(model);
        for (int r = 0; r < rows.Length; r++)
        {
            using var scope = NewDisposeScope();
            int frames = rows[r].Mel.Length / channels;
            var mel = tensor(rows[r].Mel, new long[] { frames, channels }).t().unsqueeze(0);
            using var generator = new Generator(3);
            var expected = denoiser.Denoise(model.Infer(mel, MelToAudioOptions.DefaultSigma, generator), Denoiser.DefaultStrength).flatten();
            Assert.HasCount(frames * WaveGlowMel.HopLength, audio[r], $"row {r}: frames x hop samples");
            CollectionAssert.AreEqual(expected.data<float>().ToArray(), audio[r], $"row {r}");
        }
    }

    [TestMethod]
    public void DenoiserStrengthZeroTurnsItOffAndSigmaZeroIsDeterministicSilenceOfNoise()
    {
        int channels = SpeechFixture.WaveGlowMelChannels;
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Mels(channels, 4));
        float[] Score(double sigma, double strength) => SpeechFixture.ReadVectors(ml.Transforms.MelToAudio(new MelToAudioOptions
        {
            CheckpointPath = SpeechFixture.WaveGlowCheckpoint, MelSettings = WaveGlowMel, Sigma = sigma, DenoiserStrength = strength,
        }).Fit(data).Transform(data), "Audio")[0];

        using var model = WaveGlowModel.FromCheckpoint(SpeechFixture.WaveGlowCheckpoint, weightNorm: false);
        using var scope = NewDisposeScope();
        var row = Mels(channels, 4)[0].Mel;
        var mel = tensor(row, new long[] { 4, channels }).t().unsqueeze(0);
        var plain = model.Infer(mel, 0.0, new Generator(1)).flatten().data<float>().ToArray();
        CollectionAssert.AreEqual(plain, Score(0.0, 0.0), "strength 0: the model's own output");
        CollectionAssert.AreNotEqual(plain, Score(0.0, 0.01), "strength 0.01 removes the bias");
    }

    [TestMethod]
    public void WaveGlowRejectsAMelColumnOfAnotherChannelCountAtSchemaTime()
    {
        var ml = new MLContext(seed: 1);
        var texts = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(1));
        var mels = ml.Transforms.TextToMel(new TextToMelOptions { CheckpointPath = SpeechFixture.Tacotron2Checkpoint, PrenetDropout = false }).Fit(texts).Transform(texts);
        Assert.AreNotEqual(SpeechFixture.Tacotron2MelChannels, SpeechFixture.WaveGlowMelChannels, "the fixture models differ in mel channels");
        var estimator = ml.Transforms.MelToAudio(SpeechFixture.WaveGlowCheckpoint);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(mels));
        Assert.Contains("'Mel'", e.Message);
        Assert.Contains($"{SpeechFixture.WaveGlowMelChannels}", e.Message);
    }

    [TestMethod]
    public void MissingOrWrongMelColumnIsAnErrorNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var texts = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(1));
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.MelToAudioGriffinLim().Fit(texts));
        Assert.Contains("'Mel'", e1.Message);
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.MelToAudioGriffinLim(inputColumnName: "Text").Fit(texts));
        Assert.Contains("'Text'", e2.Message);
        Assert.Contains("vector of float", e2.Message);
    }

    [TestMethod]
    public void WaveGlowWithoutAModelSaysOneIsRequired()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Mels(SpeechFixture.WaveGlowMelChannels, 2));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.MelToAudio(new MelToAudioOptions()).Fit(data));
        Assert.Contains("CheckpointPath", e.Message);
        Assert.Contains("GriffinLim", e.Message);
    }

    [TestMethod]
    public void EmptyMelGivesZeroLengthAudio()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new MelRow { Mel = [] } });
        var wave = ml.Transforms.MelToAudio(new MelToAudioOptions { CheckpointPath = SpeechFixture.WaveGlowCheckpoint, MelSettings = WaveGlowMel }).Fit(data).Transform(data);
        Assert.IsEmpty(SpeechFixture.ReadVectors(wave, "Audio")[0]);
        var griffin = ml.Transforms.MelToAudio(new MelToAudioOptions { Vocoder = MelVocoder.GriffinLim, MelSettings = WaveGlowMel }).Fit(data).Transform(data);
        Assert.IsEmpty(SpeechFixture.ReadVectors(griffin, "Audio")[0]);
    }

    [TestMethod]
    public void GriffinLimUsesTheMelColumnsAnnotationsAndIsReproducible()
    {
        var ml = new MLContext(seed: 1);
        var texts = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(2));
        var pipeline = ml.Transforms.TextToMel(new TextToMelOptions { CheckpointPath = SpeechFixture.Tacotron2Checkpoint, PrenetDropout = false, MelLengthColumnName = "Frames" })
            .Append(ml.Transforms.MelToAudioGriffinLim(iterations: 4));
        var scored = pipeline.Fit(texts).Transform(texts);
        var audio = SpeechFixture.ReadVectors(scored, "Audio");
        var again = SpeechFixture.ReadVectors(scored, "Audio");
        var frames = SpeechFixture.ReadScalars<int>(scored, "Frames");
        for (int i = 0; i < audio.Count; i++)
        {
            Assert.HasCount((frames[i] - 1) * MelSettings.Default.HopLength, audio[i], $"row {i}: (frames - 1) x hop samples");
            CollectionAssert.AreEqual(audio[i], again[i]);
        }
        Assert.AreEqual(MelSettings.Default.SampleRate, AudioAnnotations.GetSampleRate(scored.Schema["Audio"]));
    }

    [TestMethod]
    public void MelSharpeningChangesGriffinLimAudioAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 3);
        var mels = ml.Data.LoadFromEnumerable(Mels(MelSettings.Default.MelChannels, 12, 9));
        var plain = SpeechFixture.ReadVectors(ml.Transforms.MelToAudioGriffinLim(iterations: 2).Fit(mels).Transform(mels), "Audio");
        var sharpener = ml.Transforms.MelToAudioGriffinLim(iterations: 2, melSharpening: 1.0).Fit(mels);
        Assert.AreEqual(1.0, sharpener.MelSharpening);
        var sharpened = SpeechFixture.ReadVectors(sharpener.Transform(mels), "Audio");
        for (int i = 0; i < plain.Count; i++)
        {
            Assert.HasCount(plain[i].Length, sharpened[i], $"row {i}: same length");
            CollectionAssert.AreNotEqual(plain[i], sharpened[i], $"row {i}: the sharpened mel sounds different");
        }

        var zip = Path.Combine(Path.GetTempPath(), $"mlnettts-sharpening-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(sharpener, mels.Schema, zip);
            var loaded = (MelToAudioTransformer)new MLContext(seed: 9).Model.Load(zip, out _);
            Assert.AreEqual(1.0, loaded.MelSharpening);
            var again = SpeechFixture.ReadVectors(loaded.Transform(mels), "Audio");
            for (int i = 0; i < sharpened.Count; i++) CollectionAssert.AreEqual(sharpened[i], again[i], $"row {i} after load");
        }
        finally
        {
            File.Delete(zip);
        }
    }

    [TestMethod]
    public void AZipWrittenBeforeMelSharpeningExistedLoadsWithSharpeningOff()
    {
        var ml = new MLContext(seed: 3);
        var mels = ml.Data.LoadFromEnumerable(Mels(MelSettings.Default.MelChannels, 12, 9));
        var current = ml.Transforms.MelToAudioGriffinLim(iterations: 2).Fit(mels);
        var expected = SpeechFixture.ReadVectors(current.Transform(mels), "Audio");
        var zip = Path.Combine(Path.GetTempPath(), $"mlnettts-format1-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(current, mels.Schema, zip);
            // The transformer's entry rewritten as format 0x00010001 wrote it: the same fields, no sharpening amount.
            ReplaceTransformerEntry(zip, ml, ctx =>
            {
                ctx.SetVersionInfo(new VersionInfo("TTSMELAU", 0x00010001, 0x00010001, 0x00010001,
                    loaderSignature: MelToAudioTransformer.LoaderSignature, loaderAssemblyName: typeof(MelToAudioTransformer).Assembly.FullName));
                ctx.SaveNonEmptyString(current.OutputColumnName);
                ctx.SaveNonEmptyString(current.InputColumnName);
                var w = ctx.Writer;
                w.Write((int)current.Vocoder);
                w.Write(current.Sigma);
                w.Write(current.DenoiserStrength);
                w.Write(current.GriffinLimIterations);
                w.Write((int)current.Precision);
                w.Write(current.Seed);
                w.Write(current.FallbackMelSettings is not null);
                if (current.FallbackMelSettings is { } m)
                {
                    w.Write(m.SampleRate); w.Write(m.FilterLength); w.Write(m.HopLength); w.Write(m.WinLength); w.Write(m.MelChannels); w.Write(m.FMin); w.Write(m.FMax);
                }
            });

            var loaded = (MelToAudioTransformer)new MLContext(seed: 9).Model.Load(zip, out _);

            Assert.AreEqual(0.0, loaded.MelSharpening, "no sharpening before the field existed");
            Assert.AreEqual(2, loaded.GriffinLimIterations);
            var again = SpeechFixture.ReadVectors(loaded.Transform(mels), "Audio");
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], again[i], $"row {i} from the old format");
        }
        finally
        {
            File.Delete(zip);
        }
    }

    /// <summary>
    /// Swaps the entry of a transformer saved alone by <c>Model.Save</c> (ML.NET keeps it in TransformerChain/Model.key)
    /// for one <paramref name="write"/> produces.
    /// </summary>
    internal static void ReplaceTransformerEntry(string zip, MLContext ml, Action<ModelSaveContext> write)
    {
        using var written = new MemoryStream();
        using (var writer = RepositoryWriter.CreateNew(written, ml))
        {
            using (var ctx = new ModelSaveContext(writer, "Model", "Model.key"))
            {
                write(ctx);
                ctx.Done();
            }
            writer.Commit();
        }
        written.Position = 0;
        using var source = new System.IO.Compression.ZipArchive(written, System.IO.Compression.ZipArchiveMode.Read);
        using var target = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Update);
        var entry = source.Entries.Single(e => e.FullName.Replace('\\', '/') == "Model/Model.key");
        var old = target.Entries.Single(e => e.FullName.Replace('\\', '/') == "TransformerChain/Model.key");
        string name = old.FullName;
        old.Delete();
        using var from = entry.Open();
        using var to = target.CreateEntry(name).Open();
        from.CopyTo(to);
    }

    [TestMethod]
    public void ANegativeMelSharpeningIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var mels = ml.Data.LoadFromEnumerable(Mels(MelSettings.Default.MelChannels, 5));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.MelToAudioGriffinLim(melSharpening: -1).Fit(mels));
        Assert.AreEqual("melSharpening", error.ParamName);
    }
}
