using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class Tacotron2MelLossTests
{
    // One item, 2 mel channels, 3 frames: predictions before/after the postnet and the target, chosen by hand.
    private static readonly float[] Before = [0f, 1f, 2f, -1f, 0.5f, 3f];
    private static readonly float[] After = [0.5f, 1f, 1f, -2f, 0.5f, 2f];
    private static readonly float[] Target = [0f, 0f, 0f, 0f, 0f, 0f];

    private static Tacotron2LossResult Loss(MelLoss? kind)
    {
        var output = new Tacotron2Output(tensor(Before).reshape(1, 2, 3), tensor(After).reshape(1, 2, 3), zeros(1, 3), zeros(1, 3, 4));
        var mel = tensor(Target).reshape(1, 2, 3);
        var gate = zeros(1, 3);
        return kind is { } k ? Tacotron2Loss.Compute(output, mel, gate, melLoss: k) : Tacotron2Loss.Compute(output, mel, gate);
    }

    private static double Mean(float[] values, Func<double, double> f) => values.Select(v => f(v)).Average();

    [TestMethod]
    public void TheDefaultIsTheReferencesMeanSquaredError()
    {
        using var scope = NewDisposeScope();
        var loss = Loss(null);
        Assert.AreEqual(Mean(Before, v => v * v), loss.MelLoss.item<float>(), 1e-6);
        Assert.AreEqual(Mean(After, v => v * v), loss.PostnetLoss.item<float>(), 1e-6);
        Assert.AreEqual(loss.Total.item<float>(), Loss(MelLoss.Mse).Total.item<float>());
    }

    [TestMethod]
    public void L1ScoresBothMelTermsByMeanAbsoluteError()
    {
        using var scope = NewDisposeScope();
        var loss = Loss(MelLoss.L1);
        Assert.AreEqual(Mean(Before, Math.Abs), loss.MelLoss.item<float>(), 1e-6);
        Assert.AreEqual(Mean(After, Math.Abs), loss.PostnetLoss.item<float>(), 1e-6);
        Assert.AreEqual(Loss(MelLoss.Mse).GateLoss.item<float>(), loss.GateLoss.item<float>(), "the gate term does not change");
    }

    [TestMethod]
    public void L1PlusMseAddsTheTwo()
    {
        using var scope = NewDisposeScope();
        var loss = Loss(MelLoss.L1PlusMse);
        Assert.AreEqual(Mean(Before, Math.Abs) + Mean(Before, v => v * v), loss.MelLoss.item<float>(), 1e-5);
        Assert.AreEqual(Mean(After, Math.Abs) + Mean(After, v => v * v), loss.PostnetLoss.item<float>(), 1e-5);
    }

    [TestMethod]
    public void AnUndefinedMelLossIsRefusedByName()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Loss((MelLoss)7));
        Assert.AreEqual("melLoss", e.ParamName);
        var options = Assert.ThrowsExactly<ArgumentException>(() => new MlNetTts.Training.Tacotron2TrainingOptions { MelLoss = (MelLoss)7 }.Validate());
        StringAssert.Contains(options.Message, "MelLoss");
    }
}
