using MlNetTts.Audio;
using MlNetTts.Tests.Fixtures;
using NAudio.Wave;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Audio;

[TestClass]
public sealed class WaveFileTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "mlnettts-wav-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string PathIn(string name) => Path.Combine(_folder, name);

    private static float[] Sine(int count, double hz, int rate, double amplitude = 0.5, double phase = 0) =>
        Enumerable.Range(0, count).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / rate + phase))).ToArray();

    [TestMethod]
    [DataRow(WaveEncoding.Pcm8, 1.0 / 127)]
    [DataRow(WaveEncoding.Pcm16, 1.0 / 32767)]
    [DataRow(WaveEncoding.Pcm24, 1.0 / 8388607)]
    [DataRow(WaveEncoding.Pcm32, 1e-7)]
    [DataRow(WaveEncoding.Float32, 0.0)]
    public void WriteThenReadGivesTheSamplesBack(WaveEncoding encoding, double step)
    {
        var samples = Sine(3000, 440, 16000, amplitude: 0.9);
        samples[10] = 1f; samples[11] = -1f; // full scale both ways
        var path = PathIn($"{encoding}.wav");
        WaveFile.Write(path, samples, 16000, encoding);
        var back = WaveFile.Read(path, targetSampleRate: null);
        Assert.AreEqual(16000, back.SampleRate);
        Assert.HasCount(samples.Length, back.Samples);
        double worst = samples.Zip(back.Samples, (a, b) => Math.Abs(a - (double)b)).Max();
        // Written as round(x * (2^(b-1) - 1)), read as n / 2^(b-1): half a step of rounding plus up to one step of scale.
        Assert.IsLessThanOrEqualTo(step * 1.5 + 1e-9, worst, $"{encoding}: worst error {worst}");
        Assert.IsEmpty(Directory.GetFiles(_folder, "*.tmp"), "no temporary file is left behind");
    }

    [TestMethod]
    public void DefaultEncodingIs16BitPcm()
    {
        var path = PathIn("default.wav");
        WaveFile.Write(path, Sine(100, 100, 8000), 8000);
        using var reader = new WaveFileReader(path);
        Assert.AreEqual(WaveFormatEncoding.Pcm, reader.WaveFormat.Encoding);
        Assert.AreEqual(16, reader.WaveFormat.BitsPerSample);
        Assert.AreEqual(1, reader.WaveFormat.Channels);
    }

    [TestMethod]
    public void WriteReplacesAnExistingFileWhole()
    {
        var path = PathIn("replace.wav");
        WaveFile.Write(path, Sine(5000, 100, 8000), 8000);
        WaveFile.Write(path, Sine(200, 100, 8000), 8000);
        Assert.HasCount(200, WaveFile.Read(path, null).Samples);
        Assert.HasCount(1, Directory.GetFiles(_folder));
    }

    [TestMethod]
    public void NonFiniteSamplesAreNotWritten()
    {
        var path = PathIn("nan.wav");
        var samples = new float[10];
        samples[3] = float.NaN;
        var error = Assert.ThrowsExactly<ArgumentException>(() => WaveFile.Write(path, samples, 8000));
        StringAssert.Contains(error.Message, "sample 3");
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public void StereoIsAveragedToMono()
    {
        var path = PathIn("stereo.wav");
        using (var writer = new WaveFileWriter(path, new WaveFormat(8000, 16, 2)))
        {
            for (int i = 0; i < 100; i++)
            {
                writer.WriteSample(0.5f);   // left
                writer.WriteSample(-0.25f); // right
            }
        }
        var mono = WaveFile.Read(path, null);
        Assert.HasCount(100, mono.Samples);
        foreach (var s in mono.Samples) Assert.AreEqual(0.125, s, 1.0 / 32768);
    }

    [TestMethod]
    public void ExtensibleMultiChannel24BitIsRead()
    {
        var path = PathIn("six.wav");
        var format = new WaveFormatExtensible(48000, 24, 6);
        using (var writer = new WaveFileWriter(path, format))
        {
            var frame = new byte[6 * 3];
            for (int c = 0; c < 6; c++)
            {
                int v = (int)Math.Round((c - 2) * 0.1 * 8388607); // channels -0.2 .. 0.3, mean 0.05
                frame[c * 3] = (byte)v; frame[c * 3 + 1] = (byte)(v >> 8); frame[c * 3 + 2] = (byte)(v >> 16);
            }
            for (int i = 0; i < 50; i++) writer.Write(frame, 0, frame.Length);
        }
        var mono = WaveFile.Read(path, null);
        Assert.AreEqual(48000, mono.SampleRate);
        Assert.HasCount(50, mono.Samples);
        foreach (var s in mono.Samples) Assert.AreEqual(0.05, s, 1e-6);
    }

    [TestMethod]
    public void Float64IsRead()
    {
        var path = PathIn("double.wav");
        using (var writer = new WaveFileWriter(path, WaveFormat.CreateCustomFormat(WaveFormatEncoding.IeeeFloat, 8000, 1, 8000 * 8, 8, 64)))
        {
            var bytes = new byte[8];
            for (int i = 0; i < 20; i++)
            {
                BitConverter.TryWriteBytes(bytes, -0.375 + i * 0.01);
                writer.Write(bytes, 0, 8);
            }
        }
        var mono = WaveFile.Read(path, null);
        for (int i = 0; i < 20; i++) Assert.AreEqual(-0.375 + i * 0.01, mono.Samples[i], 1e-7);
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void ReferenceWavReadsAsTheReferenceDid()
    {
        using var scope = NewDisposeScope();
        var fixtures = ReferenceFixtures.Current;
        var expected = fixtures.Tensor(FrontendFixture.Audio); // (1, n): the first samples, as scipy read them
        var wav = WaveFile.Read(fixtures.PathOf("audio_fp32.wav"), targetSampleRate: null);
        Assert.AreEqual(FrontendFixture.Current.SampleRate, wav.SampleRate);
        var ours = tensor(wav.Samples.AsSpan(0, (int)expected.shape[1]).ToArray()).unsqueeze(0);
        TensorAssert.Close(expected, ours, 0, 0, "first samples of audio_fp32.wav");
    }

    // ---- resampling ----

    /// <summary>Least-squares amplitude and zero-crossing frequency of a sine over the middle of a signal.</summary>
    private static (double Hz, double Amplitude, double WorstDeviation) Measure(float[] s, int rate, double expectedHz, double expectedAmplitude)
    {
        int from = s.Length / 4, to = 3 * s.Length / 4;
        var crossings = new List<double>();
        for (int i = from; i < to; i++)
        {
            if (s[i] <= 0 && s[i + 1] > 0) crossings.Add(i + s[i] / (double)(s[i] - s[i + 1]));
        }
        double hz = (crossings.Count - 1) / ((crossings[^1] - crossings[0]) / rate);
        double sumSq = 0, worst = 0;
        for (int i = from; i < to; i++)
        {
            sumSq += (double)s[i] * s[i];
            double ideal = expectedAmplitude * Math.Sin(2 * Math.PI * expectedHz * i / rate);
            worst = Math.Max(worst, Math.Abs(ideal - s[i]));
        }
        return (hz, Math.Sqrt(2 * sumSq / (to - from)), worst);
    }

    [TestMethod]
    [DataRow(44100, 22050, 1000.0)]
    [DataRow(44100, 22050, 5000.0)]
    [DataRow(16000, 22050, 440.0)]
    [DataRow(48000, 22050, 3000.0)]
    public void ResamplingKeepsFrequencyAndAmplitude(int fromRate, int toRate, double hz)
    {
        var path = PathIn("tone.wav");
        WaveFile.Write(path, Sine(fromRate * 2, hz, fromRate), fromRate, WaveEncoding.Float32);
        var wav = WaveFile.Read(path, toRate);
        Assert.AreEqual(toRate, wav.SampleRate);
        Assert.HasCount((int)Math.Ceiling(fromRate * 2 * (double)toRate / fromRate), wav.Samples);
        var (measuredHz, amplitude, worst) = Measure(wav.Samples, toRate, hz, 0.5);
        Assert.AreEqual(hz, measuredHz, hz * 0.005, "frequency");
        Assert.AreEqual(0.5, amplitude, 0.5 * 0.005, "amplitude");
        Assert.IsLessThan(0.01, worst, "no delay: sample i of the output lies at input time i * from / to");
    }

    [TestMethod]
    public void DownsamplingRemovesWhatTheNewRateCannotHold()
    {
        var path = PathIn("high.wav");
        WaveFile.Write(path, Sine(44100, 15000, 44100), 44100, WaveEncoding.Float32);
        var wav = WaveFile.Read(path, 22050);
        var middle = wav.Samples.AsSpan(wav.Samples.Length / 4, wav.Samples.Length / 2).ToArray();
        double rms = Math.Sqrt(middle.Average(s => (double)s * s));
        Assert.IsLessThan(0.5 / Math.Sqrt(2) * 0.01, rms, "a 15 kHz tone is at least 40 dB down after resampling to 22050 Hz (no alias at 7050 Hz)");
    }

    // ---- bad input: each gets an InvalidDataException naming the file and the problem ----

    private void AssertRejected(string path, string expectedFragment)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => WaveFile.Read(path));
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, expectedFragment);
    }

    private string ValidPcm16(string name, int samples = 400)
    {
        var path = PathIn(name);
        WaveFile.Write(path, Sine(samples, 300, 8000), 8000);
        return path;
    }

    [TestMethod]
    public void NotAWavIsRejected()
    {
        var path = PathIn("text.wav");
        File.WriteAllText(path, "this is a text file, not audio at all; long enough to look like a header");
        AssertRejected(path, "not a readable RIFF/WAVE file");
    }

    [TestMethod]
    public void EmptyFileIsRejected()
    {
        var path = PathIn("empty.wav");
        File.WriteAllBytes(path, []);
        AssertRejected(path, "not a readable RIFF/WAVE file");
    }

    [TestMethod]
    public void TruncatedDataChunkIsRejected()
    {
        var path = ValidPcm16("truncated.wav");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        AssertRejected(path, "truncated");
    }

    [TestMethod]
    public void ZeroLengthAudioIsRejected()
    {
        var path = PathIn("silence.wav");
        using (new WaveFileWriter(path, new WaveFormat(8000, 16, 1))) { }
        AssertRejected(path, "contains no audio");
    }

    [TestMethod]
    public void AdpcmIsRejectedAsUnsupported()
    {
        var path = PathIn("adpcm.wav");
        using (var writer = new WaveFileWriter(path, new AdpcmWaveFormat(8000, 1)))
        {
            var block = new byte[256];
            writer.Write(block, 0, block.Length);
        }
        AssertRejected(path, "unsupported encoding Adpcm");
    }

    [TestMethod]
    public void TwelveBitPcmIsRejectedAsUnsupported()
    {
        var path = PathIn("twelve.wav");
        using (var writer = new WaveFileWriter(path, WaveFormat.CreateCustomFormat(WaveFormatEncoding.Pcm, 8000, 1, 16000, 2, 12)))
        {
            writer.Write(new byte[64], 0, 64);
        }
        AssertRejected(path, "12-bit integer PCM is not supported");
    }

    /// <summary>Overwrites a little-endian field of the fmt chunk of a file written by <see cref="ValidPcm16"/>.</summary>
    private static void Patch(string path, int offset, uint value, int width)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.AreEqual("fmt ", System.Text.Encoding.ASCII.GetString(bytes, 12, 4), "the canonical header layout this patch assumes");
        for (int i = 0; i < width; i++) bytes[offset + i] = (byte)(value >> (8 * i));
        File.WriteAllBytes(path, bytes);
    }

    [TestMethod]
    [DataRow(0u, "samples per second")]
    [DataRow(4_000_000_000u, "samples per second")]
    public void AbsurdSampleRateIsRejected(uint rate, string fragment)
    {
        var path = ValidPcm16("rate.wav");
        Patch(path, 24, rate, 4);
        AssertRejected(path, fragment);
    }

    [TestMethod]
    [DataRow(0u)]
    [DataRow(1000u)]
    public void AbsurdChannelCountIsRejected(uint channels)
    {
        var path = ValidPcm16("channels.wav");
        Patch(path, 22, channels, 2);
        AssertRejected(path, "channels");
    }

    [TestMethod]
    public void InconsistentBlockAlignIsRejected()
    {
        var path = ValidPcm16("align.wav");
        Patch(path, 32, 7, 2);
        AssertRejected(path, "block align");
    }

    [TestMethod]
    public void MissingFileGetsFileNotFound()
    {
        var path = PathIn("nowhere.wav");
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => WaveFile.Read(path));
        StringAssert.Contains(error.Message, path);
    }
}
