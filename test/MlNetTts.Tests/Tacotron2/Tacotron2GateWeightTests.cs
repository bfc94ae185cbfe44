using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class Tacotron2GateWeightTests
{
    // Two items, 4 frames, r = 1: logits and stop targets chosen by hand.
    private static readonly float[] Logits = [-2f, -1f, 0.5f, 3f, -3f, 0f, 1f, 2f];
    private static readonly float[] Targets = [0f, 0f, 0f, 1f, 0f, 0f, 1f, 1f];

    private static Tacotron2LossResult Loss(double? weight)
    {
        var mel = zeros(2, 3, 4);
        var output = new Tacotron2Output(mel.clone(), mel.clone(), tensor(Logits).reshape(2, 4), zeros(2, 4, 5));
        var target = tensor(Targets).reshape(2, 4);
        return weight is { } w ? Tacotron2Loss.Compute(output, mel, target, w) : Tacotron2Loss.Compute(output, mel, target);
    }

    [TestMethod]
    public void WeightOneIsTheReferenceLoss()
    {
        using var scope = NewDisposeScope();
        Assert.AreEqual(Loss(null).GateLoss.item<float>(), Loss(1.0).GateLoss.item<float>());
    }

    [TestMethod]
    public void StopTargetsAreWeightedAsPyTorchsPosWeight()
    {
        using var scope = NewDisposeScope();
        const double w = 8;
        // BCE with pos_weight: -(w * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))), averaged over all steps.
        double expected = Logits.Zip(Targets, (x, y) =>
        {
            double p = 1 / (1 + Math.Exp(-x));
            return -(w * y * Math.Log(p) + (1 - y) * Math.Log(1 - p));
        }).Average();
        Assert.AreEqual(expected, Loss(w).GateLoss.item<float>(), 1e-5);
        Assert.IsGreaterThan(Loss(1.0).GateLoss.item<float>(), Loss(w).GateLoss.item<float>());
    }

    [TestMethod]
    public void ANonPositiveWeightIsRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Loss(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Loss(double.NaN));
    }
}
