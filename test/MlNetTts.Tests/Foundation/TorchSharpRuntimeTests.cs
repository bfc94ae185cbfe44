using MlNetTts.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Foundation;

/// <summary>Proves the test host really runs libtorch's CPU kernels, with numbers worked out by hand.</summary>
[TestClass]
public sealed class TorchSharpRuntimeTests
{
    [TestMethod]
    public void NativeBackendLoadsAndDescribesItself()
    {
        var description = TorchRuntime.Describe();
        StringAssert.StartsWith(description, "libtorch 2.");
    }

    [TestMethod]
    public void Conv1dComputesKnownCrossCorrelation()
    {
        using var scope = NewDisposeScope();
        // out[i] = x[i-1]*1 + x[i]*0 + x[i+1]*(-1) + 0.5 with zero padding of 1 on both sides.
        var x = tensor(new float[] { 1, 2, 3, 4, 5 }).reshape(1, 1, 5);
        var w = tensor(new float[] { 1, 0, -1 }).reshape(1, 1, 3);
        var b = tensor(new float[] { 0.5f });

        var y = nn.functional.conv1d(x, w, b, padding: 1);

        CollectionAssert.AreEqual(new float[] { -1.5f, -1.5f, -1.5f, -1.5f, 4.5f }, y.data<float>().ToArray());
    }

    [TestMethod]
    public void LstmCellComputesKnownStep()
    {
        using var scope = NewDisposeScope();
        var cell = nn.LSTMCell(1, 1);
        // PyTorch gate order: input, forget, cell (g), output.
        var parameters = cell.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            parameters["weight_ih"].copy_(tensor(new float[] { 0.5f, -0.5f, 1.0f, 0.25f }).reshape(4, 1));
            parameters["weight_hh"].copy_(tensor(new float[] { 0.1f, 0.2f, 0.3f, 0.4f }).reshape(4, 1));
            parameters["bias_ih"].copy_(tensor(new float[] { 0.1f, 0.2f, -0.1f, 0.0f }));
            parameters["bias_hh"].zero_();
        }
        var x = tensor(new float[] { 1f }).reshape(1, 1);
        var h0 = tensor(new float[] { 0.5f }).reshape(1, 1);
        var c0 = tensor(new float[] { -0.25f }).reshape(1, 1);

        var (h1, c1) = cell.forward(x, (h0, c0));

        // Gate pre-activations: W_ih*x + b_ih + W_hh*h0 = [0.65, -0.2, 1.05, 0.45].
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        double expectedC = Sigmoid(-0.2) * -0.25 + Sigmoid(0.65) * Math.Tanh(1.05); // 0.4011...
        double expectedH = Sigmoid(0.45) * Math.Tanh(expectedC);
        Assert.AreEqual(0.40111, expectedC, 1e-4, "hand-worked value");
        Assert.AreEqual(expectedC, c1.item<float>(), 1e-6);
        Assert.AreEqual(expectedH, h1.item<float>(), 1e-6);
    }

    [TestMethod]
    public void DisposeScopeReleasesNativeTensors()
    {
        long before = Tensor.TotalCount;
        using (NewDisposeScope())
        {
            for (int i = 0; i < 10; i++)
                _ = ones(16, 16) * 2;
        }
        Assert.AreEqual(before, Tensor.TotalCount);
    }
}
