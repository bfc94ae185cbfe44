using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class LocationFeaturesTests
{
    [TestMethod]
    [DataRow(1, 128, 32, 31, 128)]
    [DataRow(3, 37, 8, 5, 20)]
    [DataRow(8, 200, 32, 31, 128)]
    [DataRow(2, 50, 12, 7, 211)]
    public void InferencePassEqualsConvolutionThenDense(int batch, int time, int filters, int kernel, int dim)
    {
        if (!SmallBatchGemv.IsSupported) Assert.Inconclusive("No AVX-512 here; the layer keeps libtorch's path.");
        using var scope = NewDisposeScope();
        manual_seed(batch * 100 + time);
        var weights = rand(batch, 2, time);
        var conv = randn(filters, 2, kernel) * 0.1;
        var dense = randn(dim, filters) * 0.1;
        var expected = nn.functional.linear(nn.functional.conv1d(weights, conv, padding: (kernel - 1) / 2).transpose(1, 2), dense);

        Assert.IsTrue(LocationFeatures.Accepts(weights, conv, dense));
        var actual = LocationFeatures.Compute(weights, conv, dense);

        TensorAssert.Close(expected, actual, 1e-5, 1e-5, "location features");
    }

    [TestMethod]
    public void LayerGivesTheSameFeaturesWithAndWithoutTheInferencePass()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var layer = new LocationLayer(32, 31, 128);
        var weights = rand(2, 2, 90);
        Tensor fast, general;
        using (no_grad())
        {
            fast = layer.call(weights);
            SmallBatchGemv.Enabled = false;
            try
            {
                general = layer.call(weights);
            }
            finally
            {
                SmallBatchGemv.Enabled = true;
            }
        }
        TensorAssert.Close(general, fast, 1e-5, 1e-5, "location layer");
    }

    [TestMethod]
    public void TrainingKeepsTheAutogradPath()
    {
        using var scope = NewDisposeScope();
        var conv = randn(4, 2, 3).requires_grad_(true);
        Assert.IsFalse(LocationFeatures.Accepts(rand(1, 2, 10), conv, randn(6, 4)), "a weight needing its gradient");
    }
}
