using MlNetTts.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Nn;

[TestClass]
public sealed class LstmSequenceTests
{
    private const int Steps = 6, Batch = 3, InputSize = 5, Hidden = 4;

    [TestMethod]
    [DataRow(true, DisplayName = "small-batch kernel")]
    [DataRow(false, DisplayName = "libtorch products")]
    public void Float32SequenceMatchesStepByStepCellsInOutputsAndEveryGradient(bool smallBatchKernel)
    {
        LstmSequence.SmallBatchKernel = smallBatchKernel;
        try
        {
            var (expected, actual) = BothWays(precision: null);
            for (int i = 0; i < expected.Count; i++)
                TensorAssert.Close(expected[i], actual[i], 1e-5, 1e-5, Label(i));
        }
        finally
        {
            LstmSequence.SmallBatchKernel = true;
        }
    }

    [TestMethod]
    public void Bfloat16SequenceIsCloseToStepByStepCellsInOutputsAndEveryGradient()
    {
        var (expected, actual) = BothWays(ScalarType.BFloat16);
        // Both run their products in bfloat16 (8 significant bits); they differ in where the bias is added and in
        // summing the weight gradient in one product rather than step by step.
        for (int i = 0; i < expected.Count; i++)
            TensorAssert.Close(expected[i], actual[i], 0.05, 0.05, Label(i));
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
    private static (List<Tensor> Expected, List<Tensor> Actual) BothWays(ScalarType? precision)
    {
        manual_seed(7);
        var cell = new MlNetTts.Tacotron2.LstmCell(InputSize, Hidden);
        var parameters = cell.parameters().ToArray(); // weight_ih, weight_hh, bias_ih, bias_hh
        Assert.HasCount(4, parameters);
        var inputs = randn(Steps, Batch, InputSize);
        var readout = randn(Steps, Batch, Hidden);

        List<Tensor> Run(bool sequence)
        {
            foreach (var p in parameters) p.grad = null;
            var x = inputs.clone().requires_grad_(true);
            var h = zeros(Batch, Hidden);
            var c = zeros(Batch, Hidden);
            var outputs = new List<Tensor>();
            using (var cast = precision is { } type ? CastingScope.Enter(type) : null)
            {
                var run = sequence ? cell.StartSequence(Steps, Batch) : null;
                Assert.AreEqual(sequence, run is not null);
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
