using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

[TestClass]
public sealed class LstmSequenceTests
{
    private const int Steps = 6, Batch = 3, InputSize = 5, Hidden = 4;

    // 4H = 32 outputs and in + H = 32 inputs: shapes the packed-panel kernel takes (the ones above it declines).
    private const int PanelInputSize = 24, PanelHidden = 8;

    [TestMethod]
    [DataRow(true, false, DisplayName = "small-batch kernel")]
    [DataRow(false, false, DisplayName = "libtorch products")]
    [DataRow(true, true, DisplayName = "packed-panel kernel")]
    public void Float32SequenceMatchesStepByStepCellsInOutputsAndEveryGradient(bool ourKernels, bool panelShapes)
    {
        LstmSequence.SmallBatchKernel = ourKernels;
        try
        {
            var (expected, actual) = panelShapes ? BothWays(null, PanelInputSize, PanelHidden) : BothWays(null, InputSize, Hidden);
            for (int i = 0; i < expected.Count; i++)
                TensorAssert.Close(expected[i], actual[i], 1e-5, 1e-5, Label(i));
        }
        finally
        {
            LstmSequence.SmallBatchKernel = true;
        }
    }

    [TestMethod]
    [DataRow(false, DisplayName = "libtorch products")]
    [DataRow(true, DisplayName = "packed-panel kernel")]
    public void Bfloat16SequenceIsCloseToStepByStepCellsInOutputsAndEveryGradient(bool panelShapes)
    {
        var (expected, actual) = panelShapes ? BothWays(ScalarType.BFloat16, PanelInputSize, PanelHidden) : BothWays(ScalarType.BFloat16, InputSize, Hidden);
        // Both use bfloat16 weights (8 significant bits); they differ in where the bias is added, in summing the
        // weight gradient in one product rather than step by step, and (panels) in keeping activations float32.
        for (int i = 0; i < expected.Count; i++)
            TensorAssert.Close(expected[i], actual[i], 0.05, 0.05, Label(i));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(5)]
    [DataRow(8)]
    public void PanelKernelMultipliesLikeMatmulForwardAndTransposed(int batch)
    {
        if (!PanelGemm.IsSupported) Assert.Inconclusive("PanelGemm needs AVX-512.");
        using var scope = NewDisposeScope();
        manual_seed(3);
        var w = randn(64, 96);
        var x = randn(batch, 96);
        var g = randn(batch, 64);
        TensorAssert.Close(x.matmul(w.t()), PanelGemm.Multiply(x, PanelGemm.Pack(w), 2), 1e-4, 1e-5, "x Wᵀ float32");
        TensorAssert.Close(g.matmul(w), PanelGemm.Multiply(g, PanelGemm.PackTransposed(w), 2), 1e-4, 1e-5, "g W float32");
        // bfloat16 weights are widened exactly: the same sums as float32 against the rounded weights.
        var w16 = w.to(ScalarType.BFloat16);
        var rounded = w16.to(ScalarType.Float32);
        TensorAssert.Close(x.matmul(rounded.t()), PanelGemm.Multiply(x, PanelGemm.Pack(w16), 1), 1e-4, 1e-5, "x Wᵀ bfloat16");
        TensorAssert.Close(g.matmul(rounded), PanelGemm.Multiply(g, PanelGemm.PackTransposed(w16), 1), 1e-4, 1e-5, "g W bfloat16");
    }

    [TestMethod]
    public void PanelKernelRejectsShapesItCannotPackByName()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => PanelGemm.Pack(zeros(48, 10)));
        StringAssert.Contains(error.Message, "multiple of 32");
    }

    [TestMethod]
    public void WithoutGradientsNoSequenceIsRecorded()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cell = new MlNetTts.Tacotron2.LstmCell(InputSize, Hidden);
        Assert.IsNull(cell.StartSequence(Steps, Batch));
    }

    private static string Label(int i) => i switch
    {
        0 => "outputs h",
        1 => "grad weight_ih",
        2 => "grad weight_hh",
        3 => "grad bias_ih",
        4 => "grad bias_hh",
        _ => "grad inputs",
    };

    /// <summary>The same random sequence through Cast.LstmCell step by step and through LstmSequence: outputs and gradients.</summary>
    private static (List<Tensor> Expected, List<Tensor> Actual) BothWays(ScalarType? precision, int inputSize, int hidden)
    {
        manual_seed(7);
        var cell = new MlNetTts.Tacotron2.LstmCell(inputSize, hidden);
        var parameters = cell.parameters().ToArray(); // weight_ih, weight_hh, bias_ih, bias_hh
        Assert.HasCount(4, parameters);
        var inputs = randn(Steps, Batch, inputSize);
        var readout = randn(Steps, Batch, hidden);

        List<Tensor> Run(bool sequence)
        {
            foreach (var p in parameters) p.grad = null;
            var x = inputs.clone().requires_grad_(true);
            var h = zeros(Batch, hidden);
            var c = zeros(Batch, hidden);
            var outputs = new List<Tensor>();
            using (var cast = precision is { } type ? CastingScope.Enter(type) : null)
            {
                var run = sequence ? cell.StartSequence(Steps, Batch) : null;
                Assert.AreEqual(sequence, run is not null);
                // The panel kernel takes exactly the shapes made for it (on AVX-512 with our kernels on).
                if (run is not null)
                    Assert.AreEqual(hidden == PanelHidden && PanelGemm.IsSupported && LstmSequence.SmallBatchKernel, run.UsesPanels, "panel kernel used");
                for (int t = 0; t < Steps; t++)
                {
                    (h, c) = run is not null ? run.Step(t, x[t], h, c) : cell.Step(x[t], h, c);
                    outputs.Add(h);
                }
            }
            var all = stack(outputs);
            (all * readout).sum().backward();
            return [all.detach(), .. parameters.Select(p => p.grad!.clone()), x.grad!.clone()];
        }

        return (Run(sequence: false), Run(sequence: true));
    }
}
