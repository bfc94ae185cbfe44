using MlNetTts.Audio;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Audio;

[TestClass]
public sealed class MelSharpeningTests
{
    private static Tensor Channel(params float[] frames) => tensor(frames).unsqueeze(0); // (1 mel, frames)

    [TestMethod]
    public void AmountZeroLeavesTheMelUntouched()
    {
        using var scope = NewDisposeScope();
        var mel = randn(80, 20, generator: new Generator(1));
        Assert.AreSame(mel, MelSharpening.Apply(mel, 0));
    }

    [TestMethod]
    public void FrameToFrameAlternationIsScaledByOnePlusTheAmount()
    {
        using var scope = NewDisposeScope();
        var sharpened = MelSharpening.Apply(Channel(-5, -3, -5, -3, -5, -3), 0.5);
        // Interior frames swing 1 either side of the level -4; sharpened, 1.5 either side, and the level stays.
        var values = sharpened.data<float>().ToArray();
        CollectionAssert.AreEqual(new[] { -2.5f, -5.5f, -2.5f, -5.5f }, values[1..5]);
    }

    [TestMethod]
    public void SlowChangesAreKept()
    {
        using var scope = NewDisposeScope();
        var flat = Channel(-4, -4, -4, -4, -4);
        CollectionAssert.AreEqual(flat.data<float>().ToArray(), MelSharpening.Apply(flat, 1.0).data<float>().ToArray());
        var ramp = Channel(-6, -5, -4, -3, -2);
        var values = MelSharpening.Apply(ramp, 1.0).data<float>().ToArray();
        CollectionAssert.AreEqual(new[] { -5f, -4f, -3f }, values[1..4], "a straight line's interior frames do not move");
    }

    [TestMethod]
    public void EachBatchItemIsSharpenedAlone()
    {
        using var scope = NewDisposeScope();
        var batch = randn(3, 8, 12, generator: new Generator(2));
        var together = MelSharpening.Apply(batch, 0.8);
        for (int b = 0; b < 3; b++)
            Assert.IsTrue(MelSharpening.Apply(batch[b], 0.8).allclose(together[b]), $"item {b}");
    }

    [TestMethod]
    public void SilenceBetweenSentencesIsAnEdgeNotANeighbour()
    {
        using var scope = NewDisposeScope();
        float silence = (float)Math.Log(MelSpectrogram.ClipValue);
        var first = randn(4, 6, generator: new Generator(3)) - 4;
        var second = randn(4, 5, generator: new Generator(4)) - 4;
        var pause = full(4, 3, silence);
        var joined = MelSharpening.Apply(cat([first, pause, second], 1), 1.5);

        // As TextSynthesizer joins sentences: each sentence comes out as if sharpened alone, the pause stays silent
        // (sharpened against the floor, a sentence's first and last frames would jump about 16-fold at amount 1.5: a click).
        Assert.IsTrue(MelSharpening.Apply(first, 1.5).allclose(joined.narrow(1, 0, 6)), "the sentence before the pause");
        Assert.IsTrue(MelSharpening.Apply(second, 1.5).allclose(joined.narrow(1, 9, 5)), "the sentence after the pause");
        Assert.IsTrue(pause.allclose(joined.narrow(1, 6, 3), rtol: 0, atol: 0), "the pause");
    }

    [TestMethod]
    public void AQuietFrameAboveTheFloorIsStillSharpened()
    {
        using var scope = NewDisposeScope();
        float silence = (float)Math.Log(MelSpectrogram.ClipValue);
        // Only a frame at the floor in every channel is silence; one channel above it makes the frame speech.
        var mel = tensor(new float[,] { { -4, silence, -4 }, { -4, silence + 2, -4 } });
        var middle = MelSharpening.Apply(mel, 1.0).narrow(1, 1, 1).squeeze(1).data<float>().ToArray();
        Assert.IsLessThan(silence - 1, middle[0]);
        Assert.IsLessThan(silence + 1, middle[1]);
    }

    [TestMethod]
    public void TooShortToHaveNeighboursIsLeftAsIs()
    {
        using var scope = NewDisposeScope();
        var mel = Channel(-1, -7);
        Assert.AreSame(mel, MelSharpening.Apply(mel, 1.0));
    }

    [TestMethod]
    public void ANegativeOrNonFiniteAmountOrAWrongShapeIsRefused()
    {
        using var scope = NewDisposeScope();
        var mel = zeros(80, 10);
        foreach (var amount in new[] { -0.1, double.NaN, double.PositiveInfinity })
            Assert.AreEqual("amount", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MelSharpening.Apply(mel, amount)).ParamName, $"{amount}");
        var error = Assert.ThrowsExactly<ArgumentException>(() => MelSharpening.Apply(zeros(10), 1.0));
        Assert.Contains("(mels, frames)", error.Message);
    }
}
