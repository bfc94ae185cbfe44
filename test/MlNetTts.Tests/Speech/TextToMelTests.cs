using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using MlNetTts.Text;

namespace MlNetTts.Tests.Speech;

/// <summary>TextToMel from the fixture Tacotron 2 checkpoint: batched scoring, output columns, text edge cases, errors.</summary>
[TestClass]
public sealed class TextToMelTests
{
    private static TextToMelOptions Options(int batchSize = 8, bool dropout = false) => new()
    {
        CheckpointPath = SpeechFixture.Tacotron2Checkpoint,
        BatchSize = batchSize,
        PrenetDropout = dropout,
        AlignmentColumnName = "Alignment",
        MelLengthColumnName = "MelLength",
        HitMaxDecoderStepsColumnName = "HitCap",
    };

    [TestMethod]
    public void PronunciationsAreUsedAndSurviveSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var texts = SpeechFixture.MixedTexts(3);
        var data = ml.Data.LoadFromEnumerable(texts);
        var letters = SpeechFixture.ReadVectors(ml.Transforms.TextToMel(Options()).Fit(data).Transform(data), "Mel");
        // Every word of the cleaned texts ("Dr." is "doctor") gets a made-up pronunciation, so each text encodes differently.
        var words = texts.SelectMany(t => System.Text.RegularExpressions.Regex.Matches(EnglishCleaners.Clean(t.Text), "[a-z]+").Select(m => m.Value)).Distinct().ToList();
        var options = Options();
        options.Pronunciations = PronunciationDictionary.Read(new StringReader(string.Concat(words.Select(w => $"{w} AH0 N D\n"))), "test.dict");
        var model = ml.Transforms.TextToMel(options).Fit(data);
        var expected = SpeechFixture.ReadVectors(model.Transform(data), "Mel");
        for (int i = 0; i < expected.Count; i++) Assert.IsFalse(expected[i].SequenceEqual(letters[i]), $"row {i} reads its words as phones ({expected[i].Length} / {letters[i].Length} values; {texts[i].Text})");
        var zip = Path.Combine(Path.GetTempPath(), $"mlnettts-pronunciations-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, zip);
            var loaded = (TextToMelTransformer)new MLContext(seed: 9).Model.Load(zip, out _);
            Assert.IsNotNull(loaded.Pronunciations);
            Assert.AreEqual(words.Count, loaded.Pronunciations.Count);
            Assert.IsTrue(loaded.Pronunciations.TryGetPhones(words[0], out var phones));
            Assert.AreEqual("AH0 N D", phones);
            var again = SpeechFixture.ReadVectors(loaded.Transform(data), "Mel");
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], again[i], $"row {i} after loading");
        }
        finally
        {
            File.Delete(zip);
        }
    }

    [TestMethod]
    public void CandidatesSurviveSaveAndLoadAndAnOlderZipDecodesOneDraw()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(3));
        var options = Options(dropout: true);
        options.Candidates = 3;
        var model = ml.Transforms.TextToMel(options).Fit(data);
        var expected = SpeechFixture.ReadVectors(model.Transform(data), "Mel");
        var zip = Path.Combine(Path.GetTempPath(), $"mlnettts-candidates-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, zip);
            var loaded = (TextToMelTransformer)new MLContext(seed: 9).Model.Load(zip, out _);
            Assert.AreEqual(3, loaded.Candidates);
            var again = SpeechFixture.ReadVectors(loaded.Transform(data), "Mel");
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], again[i], $"row {i} after loading");

            // The transformer's entry as format 0x00010001 wrote it: the same fields, no draws per sentence.
            MelToAudioTests.ReplaceTransformerEntry(zip, ml, ctx =>
            {
                ctx.SetVersionInfo(new VersionInfo("TTSTXMEL", 0x00010001, 0x00010001, 0x00010001,
                    loaderSignature: TextToMelTransformer.LoaderSignature, loaderAssemblyName: typeof(TextToMelTransformer).Assembly.FullName));
                ctx.SaveNonEmptyString(model.InputColumnName);
                ctx.SaveNonEmptyString(model.OutputColumnName);
                ctx.SaveStringOrNull(null);
                ctx.SaveStringOrNull(null);
                ctx.SaveStringOrNull(null);
                var w = ctx.Writer;
                w.Write(model.BatchSize);
                w.Write(0);
                w.Write(double.NaN);
                w.Write(true);
                w.Write((int)MlNetTts.Nn.Precision.Float32);
                w.Write(200);
                w.Write(17);
                w.Write(model.Seed);
                var m = model.MelSettings;
                w.Write(m.SampleRate); w.Write(m.FilterLength); w.Write(m.HopLength); w.Write(m.WinLength); w.Write(m.MelChannels); w.Write(m.FMin); w.Write(m.FMax);
                MlNetTts.Speech.ModelConfigRecord.Write(w, model.Model.Config.ToCheckpointConfig());
                MlNetTts.Persistence.ModuleWeightsStream.Save(ctx, "Tacotron2Weights", model.Model);
            });
            var old = (TextToMelTransformer)new MLContext(seed: 9).Model.Load(zip, out _);
            Assert.AreEqual(1, old.Candidates, "one draw before the field existed");
            Assert.IsNull(old.Pronunciations, "letters before pronunciations existed");
            Assert.HasCount(expected.Count, SpeechFixture.ReadVectors(old.Transform(data), "Mel"));
        }
        finally
        {
            File.Delete(zip);
        }
    }

    [TestMethod]
    public void CandidatesOutsideOneToSixteenAreRefused()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.Candidates = 0;
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextToMel(options));
        StringAssert.Contains(e.Message, "Candidates");
    }

    [TestMethod]
    public void BatchedScoringOfMixedLengthsEqualsRowByRowScoring()
    {
        var ml = new MLContext(seed: 1);
        var rows = SpeechFixture.MixedTexts(20);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.TextToMel(Options(batchSize: 8)).Fit(data);
        var batched = SpeechFixture.ReadVectors(model.Transform(data), "Mel");
        var lengths = SpeechFixture.ReadScalars<int>(model.Transform(data), "MelLength");

        var engine = ml.Model.CreatePredictionEngine<TextRow, MelPrediction>(model);
        int distinctLengths = lengths.Distinct().Count();
        Assert.IsGreaterThan(1, distinctLengths, "the texts should give mels of different lengths");
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.AreEqual(lengths[i], single.MelLength, $"row {i}: mel length");
            Assert.HasCount(lengths[i] * SpeechFixture.Tacotron2MelChannels, batched[i], $"row {i}: mel values = frames x channels");
            double diff = SpeechFixture.MaxAbsDifference(batched[i], single.Mel, $"row {i}");
            Assert.IsLessThanOrEqualTo(BatchTolerance, diff, $"row {i}: batched mel differs from the row scored alone by {diff}");
        }
    }

    /// <summary>
    /// Batched and single decodes run the same math on differently shaped matrices; BLAS may sum in another order, so
    /// the bound is float32 rounding over the decoder's steps, far below any audible difference.
    /// </summary>
    private const double BatchTolerance = 1e-4;

    public sealed class MelPrediction
    {
        public float[] Mel { get; set; } = [];

        public int MelLength { get; set; }

        public bool HitCap { get; set; }

        public float[] Alignment { get; set; } = [];
    }

    [TestMethod]
    public void MelColumnCarriesExtractMelAnnotationsAndOptionalColumnsAgree()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(3));
        var options = Options();
        options.SentenceMaxLength = 0; // one decode per row: the alignment is that decode's (frames x symbols)
        var scored = ml.Transforms.TextToMel(options).Fit(data).Transform(data);

        var settings = AudioAnnotations.GetMelSettings(scored.Schema["Mel"]);
        Assert.AreEqual(MelSettings.Default with { MelChannels = SpeechFixture.Tacotron2MelChannels }, settings);
        ReadOnlyMemory<char> frames = default;
        scored.Schema["Alignment"].Annotations.GetValue(SpeechAnnotations.FramesColumn, ref frames);
        Assert.AreEqual("Mel", frames.ToString());

        var mels = SpeechFixture.ReadVectors(scored, "Mel");
        var alignments = SpeechFixture.ReadVectors(scored, "Alignment");
        var lengths = SpeechFixture.ReadScalars<int>(scored, "MelLength");
        var texts = SpeechFixture.MixedTexts(3);
        for (int i = 0; i < mels.Count; i++)
        {
            int symbols = TextEncoder.TextToSequence(texts[i].Text).Length;
            Assert.HasCount(lengths[i] * SpeechFixture.Tacotron2MelChannels, mels[i]);
            Assert.HasCount(lengths[i] * symbols, alignments[i], $"row {i}: alignment is frames x symbols");
            for (int t = 0; t < lengths[i]; t++)
            {
                double sum = alignments[i].Skip(t * symbols).Take(symbols).Sum(v => (double)v);
                Assert.AreEqual(1.0, sum, 1e-4, $"row {i} frame {t}: attention weights sum to 1");
            }
        }
    }

    [TestMethod]
    public void StepCapIsFlaggedAndBoundsTheMel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(4));
        var options = Options();
        options.MaxDecoderSteps = 2;
        options.SentenceMaxLength = 0;
        options.GateThreshold = 1 - 1e-9; // nothing stops: every row runs into the cap
        var scored = ml.Transforms.TextToMel(options).Fit(data).Transform(data);
        CollectionAssert.AreEqual(new[] { true, true, true, true }, SpeechFixture.ReadScalars<bool>(scored, "HitCap"));
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 2 }, SpeechFixture.ReadScalars<int>(scored, "MelLength"));
    }

    [TestMethod]
    public void EmptyOrUnspeakableTextGivesAnEmptyMel()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[] { new TextRow { Text = "" }, new TextRow { Text = "  \"[]\" " }, new TextRow { Text = SpeechFixture.Sentences[0] } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml.Transforms.TextToMel(Options()).Fit(data).Transform(data);
        var mels = SpeechFixture.ReadVectors(scored, "Mel");
        var lengths = SpeechFixture.ReadScalars<int>(scored, "MelLength");
        Assert.IsEmpty(mels[0]);
        Assert.IsEmpty(mels[1]);
        CollectionAssert.AreEqual(new[] { 0, 0 }, lengths.Take(2).ToArray());
        Assert.IsGreaterThan(0, lengths[2]);
        CollectionAssert.AreEqual(new[] { false, false }, SpeechFixture.ReadScalars<bool>(scored, "HitCap").Take(2).ToArray());
    }

    [TestMethod]
    public void TenThousandCharacterParagraphIsSplitIntoSentencesJoinedWithSilence()
    {
        var sentences = SpeechFixture.Sentences;
        var paragraph = new System.Text.StringBuilder();
        for (int i = 0; paragraph.Length < 10_000; i++) paragraph.Append(sentences[i % sentences.Count]).Append(' ');
        var text = paragraph.ToString(0, 10_000);
        var pieces = new SentenceSplitter().Split(text).Where(p => TextEncoder.TextToSequence(p).Length > 0).ToList();
        Assert.IsGreaterThan(10_000 / SentenceSplitterOptions.DefaultMaxLength - 1, pieces.Count, "the paragraph becomes many pieces");

        var ml = new MLContext(seed: 1);
        var options = Options(batchSize: 16);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = text } });
        var model = ml.Transforms.TextToMel(options).Fit(data);
        var mel = SpeechFixture.ReadVectors(model.Transform(data), "Mel")[0];

        // Each piece scored alone, joined with the pause: the paragraph's mel.
        var alone = ml.Data.LoadFromEnumerable(pieces.Select(p => new TextRow { Text = p }).ToArray());
        var pieceMels = SpeechFixture.ReadVectors(model.Transform(alone), "Mel");
        int channels = SpeechFixture.Tacotron2MelChannels;
        var settings = MelSettings.Default;
        int pause = (int)Math.Round(TextToMelOptions.DefaultSentencePause.TotalSeconds * settings.SampleRate / settings.HopLength);
        Assert.IsGreaterThan(0, pause);
        var silence = Enumerable.Repeat((float)Math.Log(MelSpectrogram.ClipValue), pause * channels);
        var expected = pieceMels.SelectMany((m, i) => i == 0 ? m : silence.Concat(m)).ToArray();
        Assert.IsGreaterThan(SpeechFixture.MaxDecoderSteps * channels, mel.Length, "longer than one decode could make");
        double diff = SpeechFixture.MaxAbsDifference(expected, mel, "paragraph");
        Assert.IsLessThanOrEqualTo(BatchTolerance, diff);
    }

    [TestMethod]
    public void SplittingCanBeTurnedOff()
    {
        var ml = new MLContext(seed: 1);
        var text = string.Join(" ", SpeechFixture.Sentences);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = text } });
        var options = Options();
        options.SentenceMaxLength = 0;
        var length = SpeechFixture.ReadScalars<int>(ml.Transforms.TextToMel(options).Fit(data).Transform(data), "MelLength")[0];
        Assert.IsLessThanOrEqualTo(SpeechFixture.MaxDecoderSteps, length, "one decode, at most the step cap");
    }

    [TestMethod]
    public void PrenetDropoutIsOnByDefaultAndReproducibleWithTheContextSeed()
    {
        var rows = SpeechFixture.MixedTexts(5);
        List<float[]> Score(int seed, bool dropout)
        {
            var ml = new MLContext(seed: seed);
            var data = ml.Data.LoadFromEnumerable(rows);
            return SpeechFixture.ReadVectors(ml.Transforms.TextToMel(Options(batchSize: 4, dropout)).Fit(data).Transform(data), "Mel");
        }
        Assert.IsTrue(new TextToMelOptions().PrenetDropout, "the reference's default");
        var first = Score(7, dropout: true);
        var again = Score(7, dropout: true);
        var off = Score(7, dropout: false);
        for (int i = 0; i < rows.Length; i++) CollectionAssert.AreEqual(first[i], again[i], $"row {i}: same seed, same mel");
        Assert.IsTrue(Enumerable.Range(0, rows.Length).Any(i => !first[i].SequenceEqual(off[i])), "dropout changes the mel");
    }

    [TestMethod]
    public void SchemaErrorsNameTheColumnBeforeAnyWork()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(2));
        var model = ml.Transforms.TextToMel(Options()).Fit(data);

        var wrongType = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Text = 3 } });
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.GetOutputSchema(wrongType.Schema));
        Assert.Contains("'Text'", e1.Message);
        Assert.Contains("text", e1.Message);
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextToMel(Options()).Fit(wrongType));
        Assert.Contains("'Text'", e2.Message);

        var renamed = ml.Transforms.TextToMel(new TextToMelOptions { Model = model.Model, InputColumnName = "Missing" });
        var e3 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => renamed.Fit(data));
        Assert.Contains("'Missing'", e3.Message);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => renamed.GetOutputSchema(SchemaShape.Create(data.Schema)));
    }

    public sealed class NumberRow
    {
        public int Text { get; set; }
    }

    [TestMethod]
    public void FitWithoutAPretrainedModelSaysOneIsRequired()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(1));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.TextToMel(new TextToMelOptions()).Fit(data));
        Assert.Contains("CheckpointPath", e.Message);
    }

    [TestMethod]
    public void MelChannelsOfSettingsMustMatchTheModel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpeechFixture.MixedTexts(1));
        var options = Options();
        options.MelSettings = MelSettings.Default with { MelChannels = SpeechFixture.Tacotron2MelChannels + 1 };
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TextToMel(options).Fit(data));
        Assert.Contains("MelChannels", e.Message);
    }

    [TestMethod]
    public void GpuRequestedWithoutFallbackIsAnErrorWhereNoCudaExists()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Inconclusive("CUDA is available here: the fallback path cannot be shown.");
        var data = new MLContext().Data.LoadFromEnumerable(SpeechFixture.MixedTexts(1));
        var strict = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => strict.Transforms.TextToMel(Options()).Fit(data));
        Assert.Contains("FallbackToCpu", e.Message);
        var lenient = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        var model = lenient.Transforms.TextToMel(Options()).Fit(data);
        Assert.AreEqual(TorchSharp.DeviceType.CPU, model.Device.type);
    }
}
