using MlNetTts.Audio;
using MlNetTts.Data;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Data;

[TestClass]
public sealed class AudioSegmentSamplerTests
{
    private static float[] Tone(int n, double f) => Enumerable.Range(0, n).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * f * i / 22050))).ToArray();

    [TestMethod]
    public void SegmentsAreSlicesOrZeroPaddedAndTheirMelsAreTheFrontEndsMels()
    {
        var data = new AudioDataset(pcm16: false);
        var longOne = Tone(20000, 440);
        var shortOne = Tone(3000, 220);
        data.Add(longOne);
        data.Add(shortOne);
        var sampler = new AudioSegmentSampler(data, 8000, seed: 5);
        using var mel = new MelSpectrogram();
        using var scope = NewDisposeScope();

        using var batch = sampler.Sample([0, 1], epoch: 2, mel);

        int start = batch.Starts[0];
        Assert.AreEqual(sampler.SegmentStart(0, 2), start);
        Assert.IsTrue(start is >= 0 and <= 12000);
        CollectionAssert.AreEqual(longOne.AsSpan(start, 8000).ToArray(), batch.Audio[0].data<float>().ToArray());
        var padded = shortOne.Concat(new float[5000]).ToArray();
        CollectionAssert.AreEqual(padded, batch.Audio[1].data<float>().ToArray());
        // Batched and single STFTs round differently in the last float32 bits; near the log's 1e-5 floor a 1e-7
        // magnitude difference is a visible log difference, so compare magnitudes (exp of the log-mel).
        TensorAssert.Close(mel.Compute(tensor(padded)).exp(), batch.Mel[1].exp(), 1e-6, 1e-4, "mel of the padded segment");
        TensorAssert.Close(mel.Compute(tensor(longOne.AsSpan(start, 8000).ToArray())).exp(), batch.Mel[0].exp(), 1e-6, 1e-4, "mel of the slice");
        Assert.AreEqual(16000, batch.TotalSamples);
    }

    [TestMethod]
    public void StartsAreReproducibleAndChangeWithTheEpoch()
    {
        var data = new AudioDataset();
        for (int i = 0; i < 20; i++) data.Add(Tone(30000, 100 + i));
        var a = new AudioSegmentSampler(data, seed: 9);
        var b = new AudioSegmentSampler(data, seed: 9);
        var first = Enumerable.Range(0, 20).Select(i => a.SegmentStart(i, 0)).ToArray();
        CollectionAssert.AreEqual(first, Enumerable.Range(0, 20).Select(i => b.SegmentStart(i, 0)).ToArray());
        CollectionAssert.AreNotEqual(first, Enumerable.Range(0, 20).Select(i => a.SegmentStart(i, 1)).ToArray());
        Assert.IsGreaterThan(10, first.Distinct().Count());
    }

    [TestMethod]
    public void Pcm16StorageIsExactFor16BitSamples()
    {
        // Every 16-bit value k / 32768 survives storage exactly (the reference divides int16 PCM by 32768).
        var samples = Enumerable.Range(0, 4096).Select(i => (i * 16 - 32768) / 32768f).ToArray();
        var data = new AudioDataset(pcm16: true);
        data.Add(samples);
        var sampler = new AudioSegmentSampler(data, samples.Length);
        using var mel = new MelSpectrogram();
        using var batch = sampler.Sample([0], 0, mel);
        CollectionAssert.AreEqual(samples, batch.Audio[0].data<float>().ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => data.Add([1.5f]));
    }
}
