using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using MlNetTts.Tests.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>The C# decoder loop against the libtorch step it replaces at batch 1-8 on CPU.</summary>
[TestClass]
public sealed class CpuDecoderLoopTests
{
    [TestMethod]
    [TestCategory("Parity")]
    [DataRow(false)]
    [DataRow(true)]
    public void TheLoopDecodesTheFixtureBatchAsTheLibtorchStep(bool mixed)
    {
        RequireKernel();
        var f = ReferenceFixtures.Current;
        var (options, _) = Tacotron2Fixture.Inference("infer");
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model();
        model.Precision = mixed ? Precision.Mixed : Precision.Float32;
        var text = f.Tensor("inputs.text_padded");
        var lengths = f.Tensor("inputs.input_lengths");
        using var loop = model.Infer(text, lengths, options);
        using var libtorch = WithoutLoop(() => model.Infer(text, lengths, options));

        AssertSame(libtorch, loop, 1e-4);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(8)]
    public void TheLoopMatchesTheLibtorchStepWithThreeFramesPerStepAndPaddedItems(int batch)
    {
        RequireKernel();
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = new Tacotron2Model(SyntheticSpeech.TinyConfig with { FramesPerStep = 3 });
        model.eval();
        model.PrenetDropout = false;
        var (text, lengths) = Text(model, batch, seed: batch);
        // The gate of random weights sits near 0.5: some items stop early, others run to the cap.
        var options = new Tacotron2InferenceOptions { MaxDecoderSteps = 40, GateThreshold = 0.5, EarlyStopping = true };
        using var loop = model.Infer(text, lengths, options);
        using var libtorch = WithoutLoop(() => model.Infer(text, lengths, options));

        AssertSame(libtorch, loop, 1e-4);
        Assert.AreEqual(0.0, PaddingAttention(loop, lengths), 0.0, "no attention on padded encoder steps");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void PanelPackedLstmWeightsDecodeAsRowMajorOnesInMixedPrecision(int batch)
    {
        RequireKernel();
        using var scope = NewDisposeScope();
        manual_seed(13);
        using var model = new Tacotron2Model(SyntheticSpeech.TinyConfig);
        model.eval();
        model.PrenetDropout = false;
        model.Precision = Precision.Mixed;
        var decoder = model.Decoder;
        // The loop packs at batch 1-2 when each LSTM's bfloat16 pair can be: true of the tiny config's shapes.
        foreach (var lstm in new[] { decoder.AttentionRnn, decoder.DecoderRnn })
            Assert.IsTrue(PanelWeights.CanPack([lstm.WeightIh, lstm.WeightHh]), "packable LSTM");
        var (text, lengths) = Text(model, batch, seed: 20 + batch);
        var options = new Tacotron2InferenceOptions { MaxDecoderSteps = 40, EarlyStopping = false };

        using var panels = model.Infer(text, lengths, options);
        CpuDecoderLoop.PackPanels = false;
        Tacotron2InferenceResult rows;
        try
        {
            rows = model.Infer(text, lengths, options);
        }
        finally
        {
            CpuDecoderLoop.PackPanels = true;
        }

        using (rows) AssertSame(rows, panels, 1e-4);
    }

    [TestMethod]
    public void PrenetDropoutIsRepeatableUnderASeedAndChangesWithIt()
    {
        RequireKernel();
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new Tacotron2Model(SyntheticSpeech.TinyConfig);
        model.eval();
        var (text, lengths) = Text(model, 2, seed: 4);
        var options = new Tacotron2InferenceOptions { MaxDecoderSteps = 150, EarlyStopping = false };

        manual_seed(42);
        using var first = model.Infer(text, lengths, options);
        manual_seed(42);
        using var again = model.Infer(text, lengths, options);
        manual_seed(43);
        using var otherSeed = model.Infer(text, lengths, options);
        model.PrenetDropout = false;
        using var noDropout = model.Infer(text, lengths, options);

        TensorAssert.Equal(first.MelOutputs, again.MelOutputs, "same seed, same masks");
        Assert.IsFalse(first.MelOutputs.allclose(otherSeed.MelOutputs), "another seed draws other masks");
        Assert.IsFalse(first.MelOutputs.allclose(noDropout.MelOutputs), "dropout changes the output");
    }

    [TestMethod]
    public void GradientRecordingBatchesAboveEightAndHalfPrecisionScopesKeepTheLibtorchStep()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = new Tacotron2Model(SyntheticSpeech.TinyConfig);
        model.eval();
        var memory = randn(2, 7, SyntheticSpeech.TinyConfig.EncoderEmbeddingDim);
        var lengths = tensor(new long[] { 7, 4 });
        var decoder = model.Decoder;
        Assert.IsFalse(CpuDecoderLoop.Accepts(decoder, memory, lengths), "parameters that need their gradient, gradients on");
        using (no_grad())
        {
            Assert.AreEqual(SmallBatchGemv.IsSupported, CpuDecoderLoop.Accepts(decoder, memory, lengths), "inference at batch 2 (AVX-512 only)");
            Assert.IsFalse(CpuDecoderLoop.Accepts(decoder, randn(9, 7, SyntheticSpeech.TinyConfig.EncoderEmbeddingDim), tensor(Enumerable.Repeat(7L, 9).ToArray())), "batch 9");
            Assert.IsFalse(CpuDecoderLoop.Accepts(decoder, memory, tensor(new long[] { 8, 4 })), "a length beyond the memory");
            using (CastingScope.Enter(ScalarType.Float16))
                Assert.IsFalse(CpuDecoderLoop.Accepts(decoder, memory, lengths), "a float16 scope (CUDA's type)");
        }
    }

    private static void RequireKernel()
    {
        if (!SmallBatchGemv.IsSupported) Assert.Inconclusive("No AVX-512 here; decoding keeps libtorch's step.");
    }

    private static T WithoutLoop<T>(Func<T> run)
    {
        CpuDecoderLoop.Enabled = false;
        try
        {
            return run();
        }
        finally
        {
            CpuDecoderLoop.Enabled = true;
        }
    }

    private static (Tensor Text, Tensor Lengths) Text(Tacotron2Model model, int batch, int seed)
    {
        var random = new Random(seed);
        var lengths = Enumerable.Range(0, batch).Select(i => (long)(i == 0 ? 17 : random.Next(3, 18))).ToArray();
        var text = zeros(batch, 17, dtype: ScalarType.Int64);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < lengths[b]; t++) text[b, t] = random.Next(1, model.Config.SymbolCount);
        return (text, tensor(lengths));
    }

    private static double PaddingAttention(Tacotron2InferenceResult result, Tensor lengths)
    {
        double sum = 0;
        for (int b = 0; b < lengths.shape[0]; b++)
            sum += result.Alignments[b, .., (int)lengths[b].item<long>()..].abs().sum().item<float>();
        return sum;
    }

    private static void AssertSame(Tacotron2InferenceResult expected, Tacotron2InferenceResult actual, double tolerance)
    {
        Assert.AreEqual(expected.Steps, actual.Steps, "steps run");
        CollectionAssert.AreEqual(expected.HitMaxDecoderSteps.ToArray(), actual.HitMaxDecoderSteps.ToArray(), "items at the cap");
        TensorAssert.Equal(expected.MelLengths, actual.MelLengths, "mel lengths");
        Assert.AreEqual(expected.MelLengths.dtype, actual.MelLengths.dtype);
        TensorAssert.Close(expected.MelOutputs, actual.MelOutputs, tolerance, tolerance, "mel");
        TensorAssert.Close(expected.MelOutputsPostnet, actual.MelOutputsPostnet, tolerance, tolerance, "mel after the postnet");
        TensorAssert.Close(expected.GateOutputs, actual.GateOutputs, tolerance, tolerance, "gate logits");
        TensorAssert.Close(expected.Alignments, actual.Alignments, tolerance, tolerance, "alignments");
    }
}
