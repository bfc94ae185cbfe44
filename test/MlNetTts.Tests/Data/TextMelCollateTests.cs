using MlNetTts.Data;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Data;

[TestClass]
public sealed class TextMelCollateTests
{
    [TestMethod]
    [TestCategory("Parity")]
    public void CollatingTheFixtureItemsInAnyOrderGivesTheReferenceBatch()
    {
        var fixtures = ReferenceFixtures.Current;
        using var scope = NewDisposeScope();
        var text = fixtures.Tensor("inputs.text_padded");
        var inputLengths = fixtures.Tensor("inputs.input_lengths");
        var mel = fixtures.Tensor("inputs.mel_padded");
        var outputLengths = fixtures.Tensor("inputs.output_lengths");
        int framesPerStep = fixtures.Section("tacotron2").GetProperty("config").GetProperty("n_frames_per_step").GetInt32();

        // Unpad the reference batch into items, then add them in reverse order: collate must sort them back.
        var data = new TextMelDataset((int)mel.shape[1], MelStorage.Float32);
        for (long b = text.shape[0] - 1; b >= 0; b--)
        {
            var ids = text[b].narrow(0, 0, inputLengths[b].item<long>()).to(ScalarType.Int32).data<int>().ToArray();
            data.Add(ids, mel[b].narrow(1, 0, outputLengths[b].item<long>()));
        }
        using var batch = TextMelCollate.Collate(data, Enumerable.Range(0, data.Count).ToArray(), framesPerStep);

        // Inputs carry no tolerance: collation only moves values, so it must reproduce them exactly.
        TensorAssert.Equal(text, batch.TextPadded, "text_padded");
        TensorAssert.Equal(inputLengths, batch.InputLengths, "input_lengths");
        TensorAssert.Equal(mel, batch.MelPadded, "mel_padded");
        TensorAssert.Equal(fixtures.Tensor("inputs.gate_padded"), batch.GatePadded, "gate_padded");
        TensorAssert.Equal(outputLengths, batch.OutputLengths, "output_lengths");
    }

    [TestMethod]
    public void FramesArePaddedToAMultipleOfFramesPerStepWithGateOnesFromTheLastFrame()
    {
        var data = new TextMelDataset(2, MelStorage.Float32);
        data.Add([1, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], MelLayout.FramesMajor); // 5 frames
        data.Add([3, 4, 5], [1, 1, 2, 2, 3, 3], MelLayout.FramesMajor); // 3 frames

        using var batch = TextMelCollate.Collate(data, [0, 1], framesPerStep: 3);

        CollectionAssert.AreEqual(new[] { 1, 0 }, batch.Items.ToArray(), "longer text first");
        CollectionAssert.AreEqual(new long[] { 2, 2, 6 }, batch.MelPadded.shape, "5 frames round up to 6 at r = 3");
        CollectionAssert.AreEqual(new float[] { 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1 }, batch.GatePadded.data<float>().ToArray());
        CollectionAssert.AreEqual(new long[] { 3, 5 }, batch.OutputLengths.data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 3, 4, 5, 1, 2, 0 }, batch.TextPadded.data<long>().ToArray());
        // Item 0 frames-major (t0: 1,2; t1: 3,4; ...) becomes channel rows 1,3,5,7,9 and 2,4,6,8,10, zero-padded.
        CollectionAssert.AreEqual(new float[] { 1, 3, 5, 7, 9, 0, 2, 4, 6, 8, 10, 0 }, batch.MelPadded[1].data<float>().ToArray());
        Assert.AreEqual(8, batch.TotalFrames);
    }

    [TestMethod]
    public void Float16StorageKeepsMelsWithinHalfPrecision()
    {
        using var scope = NewDisposeScope();
        var mel = rand(80, 37) * 14 - 11.5; // the log-mel range
        var half = new TextMelDataset(80);
        var full = new TextMelDataset(80, MelStorage.Float32);
        half.Add([1], mel);
        full.Add([1], mel);

        Assert.AreEqual(MelStorage.Float16, half.Storage);
        Assert.AreEqual(full.MelBytes / 2, half.MelBytes);
        Assert.IsTrue(full.Mel(0).allclose(mel, rtol: 0, atol: 0));
        Assert.IsTrue(half.Mel(0).allclose(mel, rtol: 1.0 / 2048, atol: 0), "within 2^-11 relative");
    }

    [TestMethod]
    public void BadItemsAreRejectedNamingTheItem()
    {
        var data = new TextMelDataset(4);
        var e = Assert.ThrowsExactly<ArgumentException>(() => data.Add([1], new float[6], MelLayout.FramesMajor));
        StringAssert.Contains(e.Message, "multiple of 4");
        Assert.ThrowsExactly<ArgumentException>(() => data.Add([], new float[4], MelLayout.FramesMajor));
        Assert.ThrowsExactly<ArgumentException>(() => data.Add([1], [1e6f, 0, 0, 0], MelLayout.FramesMajor));
    }
}
