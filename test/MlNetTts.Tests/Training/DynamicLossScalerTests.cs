using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

[TestClass]
public sealed class DynamicLossScalerTests
{
    [TestMethod]
    public void InfiniteGradientSkipsTheStepKeepsWeightsAndBacksOff()
    {
        using var scope = NewDisposeScope();
        var layer = nn.Linear(4, 2);
        var optimizer = optim.Adam(layer.parameters(), lr: 0.1);
        var before = layer.weight!.clone();
        var scaler = new DynamicLossScaler(new LossScalerOptions { InitialScale = 1024 });

        scaler.ScaleLoss(layer.forward(ones(3, 4)).sum()).backward();
        layer.weight!.grad![0, 0] = float.PositiveInfinity; // an overflow, as fp16 would produce
        bool finite = scaler.UnscaleGradients(layer.parameters());
        if (finite) optimizer.step();
        var update = scaler.Update(finite);

        Assert.IsFalse(finite);
        Assert.IsTrue(update.Skipped);
        Assert.AreEqual(512, scaler.Scale);
        Assert.AreEqual(1, scaler.SkippedSteps);
        Assert.IsTrue(before.allclose(layer.weight!, rtol: 0, atol: 0), "weights unchanged");
    }

    [TestMethod]
    public void NaNGradientIsDetectedToo()
    {
        using var scope = NewDisposeScope();
        var w = zeros(3, 3).requires_grad_(true);
        (w * float.NaN).sum().backward();
        Assert.IsFalse(new DynamicLossScaler().UnscaleGradients([w]));
    }

    [TestMethod]
    public void UnscaleDividesGradientsByTheScale()
    {
        using var scope = NewDisposeScope();
        var w = ones(2, 2).requires_grad_(true);
        var scaler = new DynamicLossScaler(new LossScalerOptions { InitialScale = 256 });
        scaler.ScaleLoss((w * 3).sum()).backward();
        Assert.AreEqual(768f, w.grad![0, 0].item<float>());

        Assert.IsTrue(scaler.UnscaleGradients([w]));

        Assert.IsTrue(w.grad!.allclose(full(2, 2, 3f), rtol: 0, atol: 0));
    }

    [TestMethod]
    public void ScaleGrowsAfterTheIntervalOfCleanSteps()
    {
        var scaler = new DynamicLossScaler(new LossScalerOptions { InitialScale = 8, GrowthInterval = 3 });
        scaler.Update(true);
        scaler.Update(true);
        Assert.AreEqual(8, scaler.Scale);
        var update = scaler.Update(true);
        Assert.AreEqual(16, scaler.Scale);
        Assert.AreEqual(8, update.ScaleBefore);
        Assert.AreEqual(16, update.ScaleAfter);
    }

    [TestMethod]
    public void AnOverflowRestartsTheGrowthCount()
    {
        var scaler = new DynamicLossScaler(new LossScalerOptions { InitialScale = 8, GrowthInterval = 2 });
        scaler.Update(true);
        scaler.Update(false); // 4
        scaler.Update(true);
        Assert.AreEqual(4, scaler.Scale);
        scaler.Update(true);
        Assert.AreEqual(8, scaler.Scale);
    }

    [TestMethod]
    public void RepeatedOverflowStopsWithAClearErrorAndIntactWeights()
    {
        using var scope = NewDisposeScope();
        var layer = nn.Linear(2, 2);
        var optimizer = optim.Adam(layer.parameters(), lr: 0.1);
        var before = layer.weight!.clone();
        var scaler = new DynamicLossScaler(new LossScalerOptions { InitialScale = 4, MaxConsecutiveOverflows = 5 });

        var error = Assert.ThrowsExactly<LossScaleCollapsedException>(() =>
        {
            for (int step = 0; step < 100; step++)
            {
                optimizer.zero_grad();
                scaler.ScaleLoss(layer.forward(ones(1, 2)).sum() * float.PositiveInfinity).backward();
                bool finite = scaler.UnscaleGradients(layer.parameters());
                if (finite) optimizer.step();
                scaler.Update(finite);
            }
        });

        StringAssert.Contains(error.Message, "5 consecutive steps");
        Assert.AreEqual(5, scaler.ConsecutiveOverflows);
        Assert.IsTrue(scaler.Scale > 0);
        Assert.IsTrue(before.allclose(layer.weight!, rtol: 0, atol: 0), "weights of the last good step");
    }

    [TestMethod]
    public void FixedScaleStillSkipsNonFiniteSteps()
    {
        var scaler = new DynamicLossScaler(LossScalerOptions.FixedUnitScale);
        var update = scaler.Update(false);
        Assert.IsTrue(update.Skipped);
        Assert.AreEqual(1, scaler.Scale);
        for (int i = 0; i < 5000; i++) scaler.Update(true);
        Assert.AreEqual(1, scaler.Scale);
    }

    [TestMethod]
    public void StateRoundTrips()
    {
        var scaler = new DynamicLossScaler(new LossScalerOptions { InitialScale = 64, GrowthInterval = 10 });
        for (int i = 0; i < 7; i++) scaler.Update(true);
        scaler.Update(false);
        scaler.Update(true);
        var restored = new DynamicLossScaler(new LossScalerOptions { InitialScale = 64, GrowthInterval = 10 });
        restored.SetState(scaler.GetState());
        Assert.AreEqual(scaler.GetState(), restored.GetState());
    }

    [TestMethod]
    public void InvalidOptionsAreRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DynamicLossScaler(new LossScalerOptions { BackoffFactor = 1.5 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DynamicLossScaler(new LossScalerOptions { InitialScale = 0 }));
    }
}
