using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>Decoder behaviour on small random models: frames per step, teacher forcing, batch size 1, sorting.</summary>
[TestClass]
public sealed class Tacotron2DecoderTests
{
    private static Tacotron2Config Small(int framesPerStep) => new()
    {
        MelChannels = 6, SymbolCount = 12, SymbolsEmbeddingDim = 16, EncoderEmbeddingDim = 16, EncoderKernelSize = 3,
        AttentionRnnDim = 24, AttentionDim = 8, AttentionLocationFilters = 4, AttentionLocationKernelSize = 5,
        DecoderRnnDim = 24, PrenetDim = 8, PostnetEmbeddingDim = 8, PostnetKernelSize = 3, PostnetConvolutions = 3,
        FramesPerStep = framesPerStep, MaxDecoderSteps = 9, GateThreshold = 0.5,
    };

    private static Tacotron2Model Model(int framesPerStep, int seed)
    {
        manual_seed(seed);
        var model = new Tacotron2Model(Small(framesPerStep)) { PrenetDropout = false };
        model.eval();
        return model;
    }

    private static (Tensor Text, Tensor Lengths) Text()
    {
        var text = tensor(new long[,] { { 3, 5, 7, 2, 9, 4, 1 }, { 8, 2, 6, 11, 0, 0, 0 } });
        return (text, tensor(new long[] { 7, 4 }));
    }

    [TestMethod]
    public void WithTwoFramesPerStepShapesFollowTheSteps()
    {
        using var scope = NewDisposeScope();
        using var model = Model(2, 10);
        var (text, lengths) = Text();
        var mel = randn(2, 6, 10);
        using var noGrad = no_grad();
        var output = model.Forward(text, lengths, mel, tensor(new long[] { 10, 7 }));
        CollectionAssert.AreEqual(new long[] { 2, 6, 10 }, output.MelOutputs.shape);
        CollectionAssert.AreEqual(new long[] { 2, 6, 10 }, output.MelOutputsPostnet.shape);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, output.GateOutputs.shape);
        CollectionAssert.AreEqual(new long[] { 2, 5, 7 }, output.Alignments.shape);
        var gateTarget = zeros(2, 10);
        using var loss = Tacotron2Loss.Compute(output, mel, gateTarget);
        Assert.IsTrue(loss.Total.isfinite().item<bool>());

        using var inferred = model.Infer(text, lengths, new Tacotron2InferenceOptions { EarlyStopping = false });
        Assert.AreEqual(9, inferred.Steps);
        CollectionAssert.AreEqual(new long[] { 2, 6, 18 }, inferred.MelOutputs.shape);
        CollectionAssert.AreEqual(new long[] { 2, 9 }, inferred.GateOutputs.shape);
        Assert.IsTrue(inferred.MelLengths.data<int>().ToArray().All(l => l % 2 == 0), "mel lengths count whole steps of 2 frames");
    }

    [TestMethod]
    public void WithTwoFramesPerStepEachStepConsumesBothFramesOfThePreviousStep()
    {
        using var scope = NewDisposeScope();
        using var model = Model(2, 11);
        var (text, lengths) = Text();
        var outputLengths = tensor(new long[] { 10, 10 });
        var mel = randn(2, 6, 10);
        using var noGrad = no_grad();
        var baseline = model.Forward(text, lengths, mel, outputLengths);
        const int group = 2; // frames 4 and 5 feed step 3
        foreach (int frame in new[] { 2 * group, 2 * group + 1 })
        {
            var changed = mel.clone();
            changed[.., .., frame] += 1.0f;
            var perturbed = model.Forward(text, lengths, changed, outputLengths);
            // Steps 0..group emit frames [0, 2*group + 2) and do not see the change.
            TensorAssert.Close(baseline.MelOutputs[.., .., ..(2 * group + 2)], perturbed.MelOutputs[.., .., ..(2 * group + 2)], 0, 0, $"earlier steps, frame {frame}");
            TensorAssert.Close(baseline.GateOutputs[.., ..(group + 1)], perturbed.GateOutputs[.., ..(group + 1)], 0, 0, $"earlier gates, frame {frame}");
            Assert.IsFalse(baseline.MelOutputs[.., .., (2 * group + 2)..(2 * group + 4)].allclose(perturbed.MelOutputs[.., .., (2 * group + 2)..(2 * group + 4)]),
                $"step {group + 1} consumes frame {frame}");
        }
    }

    [TestMethod]
    public void TeacherForcingOnItsOwnInferenceReproducesInference()
    {
        foreach (int r in new[] { 1, 2 })
        {
            using var scope = NewDisposeScope();
            using var model = Model(r, 20 + r);
            var (text, lengths) = Text();
            using var inferred = model.Infer(text, lengths, new Tacotron2InferenceOptions { EarlyStopping = false });
            using var noGrad = no_grad();
            long frames = inferred.MelOutputs.shape[2];
            var forced = model.Forward(text, lengths, inferred.MelOutputs, tensor(new[] { frames, frames }));
            TensorAssert.Close(inferred.MelOutputs, forced.MelOutputs, 1e-6, 1e-5, $"mel, r={r}");
            TensorAssert.Close(inferred.MelOutputsPostnet, forced.MelOutputsPostnet, 1e-6, 1e-5, $"postnet mel, r={r}");
            TensorAssert.Close(inferred.GateOutputs, forced.GateOutputs, 1e-6, 1e-5, $"gate, r={r}");
            TensorAssert.Close(inferred.Alignments, forced.Alignments, 1e-6, 1e-5, $"alignments, r={r}");
        }
    }

    [TestMethod]
    public void TeacherForcingWorksForASingleItem()
    {
        using var scope = NewDisposeScope();
        using var model = Model(1, 30);
        var (text, lengths) = Text();
        var mel = randn(2, 6, 8);
        var outputLengths = tensor(new long[] { 8, 8 });
        using var noGrad = no_grad();
        var batch = model.Forward(text, lengths, mel, outputLengths);
        var single = model.Forward(text[..1], lengths[..1], mel[..1], outputLengths[..1]);
        CollectionAssert.AreEqual(new long[] { 1, 8 }, single.GateOutputs.shape, "the reference's squeeze() would make this a scalar and fail");
        TensorAssert.Close(batch.MelOutputsPostnet[..1], single.MelOutputsPostnet, 1e-6, 1e-5, "item 0 alone");
        TensorAssert.Close(batch.GateOutputs[..1], single.GateOutputs, 1e-6, 1e-5, "gate of item 0 alone");
    }

    [TestMethod]
    public void EncoderLengthsNeedNotBeSorted()
    {
        using var scope = NewDisposeScope();
        using var model = Model(1, 40);
        var (text, lengths) = Text();
        var order = tensor(new long[] { 1, 0 });
        using var noGrad = no_grad();
        var sorted = model.Encoder.Forward(model.Embed(text).transpose(1, 2), lengths);
        var unsorted = model.Encoder.Forward(model.Embed(text.index_select(0, order)).transpose(1, 2), lengths.index_select(0, order));
        TensorAssert.Close(sorted.index_select(0, order), unsorted, 1e-6, 1e-5, "encoder outputs");
        Assert.AreEqual(0.0, sorted[1, 4..].abs().sum().item<float>(), "packed LSTM outputs are zero past the length");
    }

    [TestMethod]
    public void MaskPaddingZeroesMelAndSetsGateBeyondTheLengths()
    {
        using var scope = NewDisposeScope();
        manual_seed(50);
        using var model = new Tacotron2Model(Small(2) with { MaskPadding = true }) { PrenetDropout = false };
        model.eval();
        var (text, lengths) = Text();
        using var noGrad = no_grad();
        var output = model.Forward(text, lengths, randn(2, 6, 10), tensor(new long[] { 10, 5 }));
        Assert.AreEqual(0.0, output.MelOutputs[1, .., 5..].abs().sum().item<float>());
        Assert.AreEqual(0.0, output.MelOutputsPostnet[1, .., 5..].abs().sum().item<float>());
        Assert.IsTrue(output.MelOutputs[1, .., ..5].abs().sum().item<float>() > 0);
        // Steps start at frames 0, 2, 4, 6, 8: the ones starting at or beyond frame 5 are padding.
        CollectionAssert.AreEqual(new[] { 1e3f, 1e3f }, output.GateOutputs[1, 3..].data<float>().ToArray());
        Assert.AreNotEqual(1e3f, output.GateOutputs[1, 2].item<float>());
    }

    [TestMethod]
    public void PrenetDropoutIsOnByDefaultEvenInEvalMode()
    {
        using var scope = NewDisposeScope();
        manual_seed(60);
        using var model = new Tacotron2Model(Small(1));
        model.eval();
        Assert.IsTrue(model.PrenetDropout);
        var (text, lengths) = Text();
        var options = new Tacotron2InferenceOptions { EarlyStopping = false };
        using var first = model.Infer(text, lengths, options);
        using var second = model.Infer(text, lengths, options);
        Assert.IsFalse(first.MelOutputs.allclose(second.MelOutputs), "dropout makes two runs differ");
        model.PrenetDropout = false;
        using var third = model.Infer(text, lengths, options);
        using var fourth = model.Infer(text, lengths, options);
        TensorAssert.Close(third.MelOutputs, fourth.MelOutputs, 0, 0, "without dropout inference is deterministic");
    }

    [TestMethod]
    public void TrainingGradientsReachEveryParameterInBothPrecisions()
    {
        foreach (var precision in new[] { MlNetTts.Nn.Precision.Float32, MlNetTts.Nn.Precision.Mixed })
        {
            using var scope = NewDisposeScope();
            manual_seed(80);
            using var model = new Tacotron2Model(Small(1)) { Precision = precision };
            model.train();
            var (text, lengths) = Text();
            var (mel, gate) = TeacherForcedTargets();
            Backward(model, text, lengths, mel, gate);
            foreach (var (name, p) in model.named_parameters())
            {
                Assert.IsNotNull(p.grad, $"{precision}: {name} got no gradient");
                Assert.AreEqual(ScalarType.Float32, p.grad.dtype, $"{precision}: {name} gradient dtype");
                Assert.IsTrue(p.grad.isfinite().all().item<bool>(), $"{precision}: {name} gradient is finite");
            }
        }
    }

    [TestMethod]
    public void TeacherForcedGradientsAreTheSameWhetherTheLstmWeightGradientsAreSummedPerSequenceOrPerStep()
    {
        using var scope = NewDisposeScope();
        manual_seed(81);
        using var model = new Tacotron2Model(Small(1));
        model.train();
        var (text, lengths) = Text();
        var (mel, gate) = TeacherForcedTargets();

        Dictionary<string, Tensor> Gradients(bool perSequence)
        {
            MlNetTts.Nn.LstmSequence.Enabled = perSequence;
            try
            {
                model.zero_grad();
                manual_seed(82); // the same dropout masks both ways
                Backward(model, text, lengths, mel, gate);
                return model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!.clone());
            }
            finally
            {
                MlNetTts.Nn.LstmSequence.Enabled = true;
            }
        }

        var perStep = Gradients(perSequence: false);
        var perSequence = Gradients(perSequence: true);
        Assert.IsTrue(perSequence["decoder.attention_rnn.weight_hh"].abs().sum().item<float>() > 0, "the recurrent weights get a gradient");
        foreach (var (name, expected) in perStep)
            TensorAssert.Close(expected, perSequence[name], 1e-5, 1e-4, name);
    }

    /// <summary>Mel targets (2, 6, 8) for lengths 8 and 6, with their gate targets (1 from each item's last frame).</summary>
    private static (Tensor Mel, Tensor Gate) TeacherForcedTargets()
    {
        var mel = randn(2, 6, 8);
        var gate = zeros(2, 8);
        gate[0, 7..] = 1.0f;
        gate[1, 5..] = 1.0f;
        return (mel, gate);
    }

    /// <summary>A teacher-forced forward pass over <see cref="TeacherForcedTargets"/>, its loss and the backward pass.</summary>
    private static void Backward(Tacotron2Model model, Tensor text, Tensor lengths, Tensor mel, Tensor gate)
    {
        var output = model.Forward(text, lengths, mel, tensor(new long[] { 8, 6 }));
        using var loss = Tacotron2Loss.Compute(output, mel, gate);
        loss.Total.backward();
    }

    [TestMethod]
    public void InMixedPrecisionEachWeightIsCastOncePerCallNotPerStep()
    {
        using var scope = NewDisposeScope();
        using var model = Model(1, 90);
        using var memory = randn(2, 5, 16);
        using var lengths = tensor(new long[] { 5, 3 });
        int CastsAfter(int steps)
        {
            using var noGrad = no_grad();
            using var cast = MlNetTts.Nn.CastingScope.Enter(ScalarType.BFloat16);
            using var result = model.Decoder.Infer(memory, lengths, steps, 0.5, earlyStopping: false);
            return cast.CastCount;
        }
        int afterTwo = CastsAfter(2);
        Assert.IsGreaterThan(0, afterTwo, "the decoder's math ran in the casting scope");
        Assert.AreEqual(afterTwo, CastsAfter(9), "more steps cast no more weights");
    }

    [TestMethod]
    public void BadInputsAreRejectedByName()
    {
        using var scope = NewDisposeScope();
        using var model = Model(2, 70);
        var (text, lengths) = Text();
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.Infer(text, tensor(new long[] { 8, 4 })));
        StringAssert.Contains(error.Message, "inputLengths");
        error = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(text, lengths, randn(2, 6, 9), tensor(new long[] { 9, 9 })));
        StringAssert.Contains(error.Message, "n_frames_per_step");
        error = Assert.ThrowsExactly<ArgumentException>(() => model.Infer(text.to(ScalarType.Int32), lengths));
        StringAssert.Contains(error.Message, "textPadded");
    }
}
