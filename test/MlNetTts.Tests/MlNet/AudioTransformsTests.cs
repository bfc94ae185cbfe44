using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Tests.Audio;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.MlNet;

[TestClass]
public sealed class AudioTransformsTests
{
    private static VBuffer<float> FirstValue(IDataView view, string name)
    {
        var column = view.Schema[name];
        using var cursor = view.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        Assert.IsTrue(cursor.MoveNext());
        VBuffer<float> value = default;
        get(ref value);
        return value;
    }

    [TestMethod]
    public void LoadAudioResamplesAndAnnotatesTheRate()
    {
        using var audio = new TestAudio();
        var wav = audio.Write("in.wav", 44100, 0.5);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = wav } });
        var scored = ml.Transforms.LoadAudio().Fit(data).Transform(data);
        var column = scored.Schema[AudioLoadingOptions.DefaultOutputColumnName];
        Assert.AreEqual(WaveFile.DefaultSampleRate, AudioAnnotations.GetSampleRate(column));
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single), column.Type);
        var expected = WaveFile.Read(wav);
        CollectionAssert.AreEqual(expected.Samples, FirstValue(scored, column.Name).DenseValues().ToArray());
    }

    [TestMethod]
    public void LoadAudioResolvesRelativePathsAgainstTheAudioFolder()
    {
        using var audio = new TestAudio();
        audio.Write("rel.wav", 22050, 0.2);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = "rel.wav" } });
        var scored = ml.Transforms.LoadAudio(new AudioLoadingOptions { AudioFolder = audio.Folder }).Fit(data).Transform(data);
        Assert.AreEqual(4410, FirstValue(scored, "Audio").Length);
    }

    [TestMethod]
    public void ExtractMelWritesFramesMajorLogMelWithItsSettings()
    {
        using var audio = new TestAudio();
        var wav = audio.Write("in.wav", 22050, 0.7);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = wav } });
        var scored = ml.Transforms.LoadAudio().Append(ml.Transforms.ExtractMel()).Fit(data).Transform(data);

        var column = scored.Schema[MelExtractingOptions.DefaultOutputColumnName];
        Assert.AreEqual(MelSettings.Default, AudioAnnotations.GetMelSettings(column));
        var row = FirstValue(scored, column.Name);

        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        var samples = WaveFile.Read(wav).Samples;
        var expected = mel.Compute(tensor(samples)); // (mels, frames)
        Assert.AreEqual(expected.shape[1], MelColumn.FrameCount(row.Length, mel.Settings.MelChannels));
        TensorAssert.Close(expected, MelColumn.ToTensor(row, mel.Settings.MelChannels), 0, 0, "mel column vs MelSpectrogram");
        // frames-major: value [t * mels + m] is channel m of frame t
        var values = row.GetValues();
        Assert.AreEqual(expected[3, 2].item<float>(), values[2 * mel.Settings.MelChannels + 3]);
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void ExtractMelOnTheReferenceWavMatchesTheReferenceMel()
    {
        var fixtures = ReferenceFixtures.Current;
        var config = FrontendFixture.Current;
        var settings = new MelSettings
        {
            SampleRate = config.SampleRate, FilterLength = config.FilterLength, HopLength = config.HopLength,
            WinLength = config.WinLength, MelChannels = config.MelChannels, FMin = config.FMin, FMax = config.FMax,
        };
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = fixtures.PathOf("audio_fp32.wav") } });
        var scored = ml.Transforms.LoadAudio(sampleRate: config.SampleRate).Append(ml.Transforms.ExtractMel(settings: settings)).Fit(data).Transform(data);

        using var scope = NewDisposeScope();
        var ours = MelColumn.ToTensor(FirstValue(scored, "Mel"), settings.MelChannels);
        // The reference mel is of the first N samples only: frames whose window ends inside them are comparable.
        var reference = fixtures.Tensor(FrontendFixture.Mel);
        long samples = fixtures.Tensor(FrontendFixture.Audio).shape[1];
        long comparable = (samples - settings.FilterLength / 2) / settings.HopLength + 1;
        Assert.IsGreaterThan(0L, comparable);
        var (atol, rtol) = fixtures.Tolerance(FrontendFixture.Mel);
        TensorAssert.Close(reference[0].narrow(1, 0, comparable), ours.narrow(1, 0, comparable), atol, rtol, "ML.NET mel column vs reference");
    }

    [TestMethod]
    public void ExtractMelRejectsAWaveformAtAnotherRate()
    {
        using var audio = new TestAudio();
        var wav = audio.Write("in.wav", 22050, 0.2);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = wav } });
        var pipeline = ml.Transforms.LoadAudio(sampleRate: 16000).Append(ml.Transforms.ExtractMel());
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pipeline.Fit(data));
        StringAssert.Contains(error.Message, "16000 Hz");
    }

    [TestMethod]
    public void MissingOrMistypedColumnsAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = "x.wav" } });
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.LoadAudio("Audio", "Path").Fit(data));
        StringAssert.Contains(missing.Message, "'Path'");
        var mistyped = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ExtractMel("Mel", "AudioPath").Fit(data));
        StringAssert.Contains(mistyped.Message, "'AudioPath'");
        var shape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ExtractMel("Mel", "AudioPath").GetOutputSchema(SchemaShape.Create(data.Schema)));
        StringAssert.Contains(shape.Message, "'AudioPath'");
    }

    [TestMethod]
    public void BadFileFailsNamingIt()
    {
        using var audio = new TestAudio();
        var bad = Path.Combine(audio.Folder, "bad.wav");
        File.WriteAllText(bad, "not audio");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = bad } });
        var scored = ml.Transforms.LoadAudio().Fit(data).Transform(data);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => FirstValue(scored, "Audio"));
        StringAssert.Contains(error.Message, bad);
    }

    [TestMethod]
    public void SaveAudioWritesOneFilePerRowNamedFromTheIdColumn()
    {
        using var audio = new TestAudio();
        var one = audio.Write("one.wav", 22050, 0.2);
        var two = audio.Write("two.wav", 44100, 0.3);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = one, Id = "first" }, new AudioRow { AudioPath = two, Id = "second.wav" } });
        var scored = ml.Transforms.LoadAudio().Fit(data).Transform(data);
        var outDir = Path.Combine(audio.Folder, "out");
        var written = ml.Data.SaveAudio(scored, outDir);
        CollectionAssert.AreEqual(new[] { Path.Combine(outDir, "first.wav"), Path.Combine(outDir, "second.wav") }, written.ToArray());
        var back = WaveFile.Read(written[1], targetSampleRate: null);
        Assert.AreEqual(WaveFile.DefaultSampleRate, back.SampleRate, "the rate comes from the column's annotation");
        var source = WaveFile.Read(two);
        Assert.HasCount(source.Samples.Length, back.Samples);
        for (int i = 0; i < source.Samples.Length; i++) Assert.AreEqual(source.Samples[i], back.Samples[i], 1.5 / 32767);
    }

    [TestMethod]
    public void SaveAudioRejectsFileNamesWithFolders()
    {
        using var audio = new TestAudio();
        var one = audio.Write("one.wav", 22050, 0.1);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = one, Id = "../escape" } });
        var scored = ml.Transforms.LoadAudio().Fit(data).Transform(data);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.SaveAudio(scored, Path.Combine(audio.Folder, "out")));
        StringAssert.Contains(error.Message, "../escape");
    }
}
