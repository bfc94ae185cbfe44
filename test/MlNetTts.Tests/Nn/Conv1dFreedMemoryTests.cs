using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

/// <summary>
/// Regression for the intermittent NaN / run-to-run different Tacotron 2 gradients: libtorch 2.10's own CPU conv1d
/// (oneDNN, 2+ threads) let freed memory leak into its output when in_channels is not a multiple of the SIMD block.
/// Memory freed while holding NaN makes the leak visible; <see cref="Cast.Conv1d"/> must not depend on it.
/// </summary>
[TestClass]
public sealed class Conv1dFreedMemoryTests() : PinnedTorchThreadsTests(2)
{
    /// <summary>Allocates and frees NaN-filled tensors of assorted sizes, so the allocator hands NaN memory back out.</summary>
    internal static void FreeNaNFilledMemory()
    {
        for (int j = 0; j < 20; j++)
        {
            using var a = full(new long[] { 1000 + 37 * j }, float.NaN);
            using var b = full(new long[] { 50 + 3 * j, 20 }, float.NaN);
        }
    }

    [TestMethod]
    [DataRow(20, 32, DisplayName = "20 -> 32 channels (im2col path; libtorch's conv leaked here)")]
    [DataRow(32, 20, DisplayName = "32 -> 20 channels (im2col path)")]
    [DataRow(32, 48, DisplayName = "32 -> 48 channels (libtorch's conv)")]
    public void Conv1dForwardAndBackwardRepeatBitForBitOverFreedNaNMemory(int inChannels, int outChannels)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var input = randn(4, inChannels, 30);
        var weight = randn(outChannels, inChannels, 5);
        var bias = randn(outChannels);
        (float[] Output, float[] InputGrad, float[] WeightGrad) Run()
        {
            using var inner = NewDisposeScope();
            var x = input.detach().requires_grad_(true);
            var w = weight.detach().requires_grad_(true);
            var y = Cast.Conv1d(x, w, bias, padding: 2);
            y.square().sum().backward();
            return (y.data<float>().ToArray(), x.grad!.data<float>().ToArray(), w.grad!.data<float>().ToArray());
        }
        var first = Run();
        Assert.IsTrue(first.Output.All(float.IsFinite), "first output is finite");
        for (int run = 0; run < 40; run++)
        {
            FreeNaNFilledMemory();
            var again = Run();
            Assert.IsTrue(again.Output.SequenceEqual(first.Output), $"run {run}: the output repeats bit for bit");
            Assert.IsTrue(again.InputGrad.SequenceEqual(first.InputGrad), $"run {run}: the input gradient repeats bit for bit");
            Assert.IsTrue(again.WeightGrad.SequenceEqual(first.WeightGrad), $"run {run}: the weight gradient repeats bit for bit");
        }
    }

    [TestMethod]
    public void Conv1dMatchesTheDefinition()
    {
        // The im2col path against an explicit sum, with stride, padding and dilation.
        using var scope = NewDisposeScope();
        manual_seed(12);
        var x = randn(2, 3, 11, dtype: ScalarType.Float64);
        var w = randn(4, 3, 3, dtype: ScalarType.Float64);
        var b = randn(4, dtype: ScalarType.Float64);
        const int stride = 2, padding = 2, dilation = 2;
        var y = Cast.Conv1d(x, w, b, stride, padding, dilation);
        var xs = nn.functional.pad(x, new long[] { padding, padding });
        long lout = (11 + 2 * padding - dilation * 2 - 1) / stride + 1;
        Assert.AreEqual(lout, y.shape[2]);
        var xv = xs.data<double>().ToArray();
        var wv = w.data<double>().ToArray();
        var bv = b.data<double>().ToArray();
        var yv = y.data<double>().ToArray();
        long width = xs.shape[2];
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 4; o++)
                for (int t = 0; t < lout; t++)
                {
                    double sum = bv[o];
                    for (int c = 0; c < 3; c++)
                        for (int k = 0; k < 3; k++)
                            sum += wv[(o * 3 + c) * 3 + k] * xv[(n * 3 + c) * width + t * stride + k * dilation];
                    Assert.AreEqual(sum, yv[(n * 4 + o) * lout + t], 1e-12, $"y[{n},{o},{t}]");
                }
    }
}
