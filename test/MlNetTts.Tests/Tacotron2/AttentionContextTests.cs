using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>The fused attention readout (energies, masked softmax, context) against the libtorch ops it replaces.</summary>
[TestClass]
public sealed class AttentionContextTests
{
    private const int Batch = 3, Steps = 7, QueryDim = 12, MemoryDim = 10, AttentionDim = 8, Filters = 4, Kernel = 5;

    [TestMethod]
    public void AStepGivesTheLibtorchOutputsAndEveryGradient()
    {
        var (expected, actual) = BothWays(new long[] { 7, 4, 1 });
        for (int i = 0; i < expected.Count; i++)
            TensorAssert.Close(expected[i], actual[i], 1e-5, 1e-5, $"result {i}");
    }

    [TestMethod]
    public void WithoutPaddingEveryStepIsWeighted()
    {
        var (expected, actual) = BothWays(new long[] { Steps, Steps, Steps });
        for (int i = 0; i < expected.Count; i++)
            TensorAssert.Close(expected[i], actual[i], 1e-5, 1e-5, $"result {i}");
    }

    [TestMethod]
    public void PaddedStepsGetNoWeightAndNoGradient()
    {
        var (_, actual) = BothWays(new long[] { 7, 4, 1 });
        var weights = actual[1];
        Assert.AreEqual(0f, weights[1].narrow(0, 4, 3).abs().sum().item<float>());
        Assert.AreEqual(0f, weights[2].narrow(0, 1, 6).abs().sum().item<float>());
        TensorAssert.Close(ones(Batch), weights.sum(1), 1e-6, 1e-6, "weights sum to 1");
    }

    [TestMethod]
    public void AnUnusedAndDisposedWeightsOutputLeavesTheBackwardToTheContext()
    {
        // The decoder disposes each step's tensors once used; the last step's weights may feed nothing.
        manual_seed(5);
        var attention = new Attention(QueryDim, MemoryDim, AttentionDim, Filters, Kernel);
        var memory = randn(Batch, Steps, MemoryDim);
        var previous = softmax(randn(Batch, 2, Steps), 2);
        Tensor Gradient(bool fused)
        {
            AttentionContext.Enabled = fused;
            try
            {
                var q = randn(Batch, QueryDim, generator: new TorchSharp.torch.Generator(9)).requires_grad_(true);
                var (context, weights) = attention.Step(q, memory, attention.ProcessMemory(memory), previous, null);
                weights.Dispose();
                context.sum().backward();
                return q.grad!.clone();
            }
            finally
            {
                AttentionContext.Enabled = true;
            }
        }
        TensorAssert.Close(Gradient(fused: false), Gradient(fused: true), 1e-5, 1e-5, "query gradient");
    }

    [TestMethod]
    public void Bfloat16OperandsTakeTheLibtorchOps()
    {
        using var scope = NewDisposeScope();
        var q = randn(Batch, AttentionDim);
        var loc = randn(Batch, Steps, AttentionDim);
        Assert.IsTrue(AttentionContext.Accepts(q, loc, loc, randn(1, AttentionDim), randn(Batch, Steps, MemoryDim)));
        Assert.IsFalse(AttentionContext.Accepts(q.to(ScalarType.BFloat16), loc, loc, randn(1, AttentionDim), randn(Batch, Steps, MemoryDim)));
    }

    /// <summary>One attention step with gradients, fused and through libtorch: [context, weights, then the gradients].</summary>
    private static (List<Tensor> Expected, List<Tensor> Actual) BothWays(long[] lengths)
    {
        manual_seed(11);
        var attention = new Attention(QueryDim, MemoryDim, AttentionDim, Filters, Kernel);
        var parameters = attention.parameters().ToArray();
        var query = randn(Batch, QueryDim);
        var memory = randn(Batch, Steps, MemoryDim);
        var previous = softmax(randn(Batch, 2, Steps), 2);
        var mask = arange(Steps).unsqueeze(0).ge(tensor(lengths).unsqueeze(1));
        var readContext = randn(Batch, MemoryDim);
        var readWeights = randn(Batch, Steps);

        List<Tensor> Run(bool fused)
        {
            AttentionContext.Enabled = fused;
            try
            {
                foreach (var p in parameters) p.grad = null;
                var q = query.clone().requires_grad_(true);
                var m = memory.clone().requires_grad_(true);
                var awc = previous.clone().requires_grad_(true);
                var (context, weights) = attention.Step(q, m, attention.ProcessMemory(m), awc, mask);
                ((context * readContext).sum() + (weights * readWeights).sum()).backward();
                return [context.detach(), weights.detach(), q.grad!.clone(), m.grad!.clone(), awc.grad!.clone(), .. parameters.Select(p => p.grad!.clone())];
            }
            finally
            {
                AttentionContext.Enabled = true;
            }
        }

        return (Run(fused: false), Run(fused: true));
    }
}
