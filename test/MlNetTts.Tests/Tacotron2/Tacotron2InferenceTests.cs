using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>Inference behaviour on the fixture model: batching, the step cap, the stop check, reduced precision.</summary>
[TestClass]
public sealed class Tacotron2InferenceTests
{
    /// <summary>
    /// bf16 vs fp32 on the fixture batch (fixed-length run): max |diff| of each output relative to its max |value|. Measured on
    /// the public set: mel 0.6 %, alignments 2.2 %, gate logits 3.5 % (errors compound over the autoregressive steps).
    /// </summary>
    public const double Bfloat16RelativeTolerance = 0.1;

    [TestMethod]
    [TestCategory("Parity")]
    public void BatchedInferenceEqualsItemByItemInference()
    {
        var f = ReferenceFixtures.Current;
        var (options, _) = Tacotron2Fixture.Inference("infer");
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model();
        var text = f.Tensor("inputs.text_padded");
        var lengths = f.Tensor("inputs.input_lengths");
        using var batched = model.Infer(text, lengths, options);
        long postnetReach = model.Config.PostnetConvolutions * (model.Config.PostnetKernelSize - 1) / 2;

        for (int b = 0; b < text.shape[0]; b++)
        {
            // The same padded row alone: the encoder convolutions see the same padding, so only masking differs.
            using var single = model.Infer(text[b..(b + 1)], lengths[b..(b + 1)], options);
            long t = single.Steps, frames = single.MelOutputs.shape[2], len = lengths[b].item<long>();
            Assert.AreEqual(batched.MelLengths[b].item<int>(), single.MelLengths[0].item<int>(), $"mel length of item {b}");
            Close("infer.mel_outputs", batched.MelOutputs[b..(b + 1), .., ..(int)frames], single.MelOutputs, b);
            Close("infer.mel_outputs_postnet", batched.MelOutputsPostnet[b..(b + 1), .., ..(int)(frames - postnetReach)],
                single.MelOutputsPostnet[.., .., ..(int)(frames - postnetReach)], b);
            Close("infer.alignments", batched.Alignments[b..(b + 1), ..(int)t, ..(int)len], single.Alignments, b);
            var (atol, rtol) = f.Tolerance("infer.gate_outputs");
            TensorAssert.Close(batched.GateOutputs[b..(b + 1), ..(int)t], single.GateOutputs, atol, rtol, $"gate of item {b}");
            Assert.AreEqual(0.0, batched.Alignments[b, .., (int)len..].abs().sum().item<float>(), $"attention on padding of item {b}");
        }
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void ItemsThatHitTheStepCapAreReported()
    {
        var f = ReferenceFixtures.Current;
        var (options, _) = Tacotron2Fixture.Inference("infer");
        var stops = f.Tensor("infer.mel_lengths").data<int>().ToArray();
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model();
        int r = model.Config.FramesPerStep;
        int cap = stops.Min() / r; // no item has stopped after this many steps
        using var result = model.Infer(f.Tensor("inputs.text_padded"), f.Tensor("inputs.input_lengths"), options with { MaxDecoderSteps = cap });
        Assert.AreEqual(cap, result.Steps);
        Assert.IsTrue(result.HitMaxDecoderSteps.All(h => h), "every item still running at the cap is reported");
        Assert.IsTrue(result.AnyHitMaxDecoderSteps);
        CollectionAssert.AreEqual(Enumerable.Repeat(cap * r, stops.Length).ToArray(), result.MelLengths.data<int>().ToArray());
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void TheStopCheckIntervalDoesNotChangeTheResult()
    {
        var f = ReferenceFixtures.Current;
        var (options, stepsRun) = Tacotron2Fixture.Inference("infer");
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model();
        var text = f.Tensor("inputs.text_padded");
        var lengths = f.Tensor("inputs.input_lengths");
        using var everyStep = model.Infer(text, lengths, options);
        using var sparse = model.Infer(text, lengths, options with { StopCheckInterval = 7 });
        Assert.AreEqual(stepsRun, sparse.Steps);
        Assert.IsFalse(sparse.AnyHitMaxDecoderSteps);
        TensorAssert.Equal(everyStep.MelLengths, sparse.MelLengths, "mel_lengths");
        TensorAssert.Close(everyStep.MelOutputsPostnet, sparse.MelOutputsPostnet, 0, 0, "mel");
        TensorAssert.Close(everyStep.Alignments, sparse.Alignments, 0, 0, "alignments");
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void Bfloat16InferenceStaysCloseToFloat32AndIsFinite()
    {
        var f = ReferenceFixtures.Current;
        var (options, _) = Tacotron2Fixture.Inference("infer_noearlystop"); // fixed length: no stop-step flips
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model();
        var text = f.Tensor("inputs.text_padded");
        var lengths = f.Tensor("inputs.input_lengths");
        using var fp32 = model.Infer(text, lengths, options);
        model.Precision = Precision.Mixed;
        using var bf16 = model.Infer(text, lengths, options);

        foreach (var (name, a, b) in new[] { ("mel", fp32.MelOutputsPostnet, bf16.MelOutputsPostnet), ("alignments", fp32.Alignments, bf16.Alignments), ("gate", fp32.GateOutputs, bf16.GateOutputs) })
        {
            Assert.AreEqual(ScalarType.Float32, b.dtype, name);
            Assert.IsTrue(b.isfinite().all().item<bool>(), $"bf16 {name} has NaN/Inf");
            double range = a.abs().max().item<float>();
            double diff = (a - b).abs().max().item<float>();
            Console.WriteLine($"bf16 vs fp32 {name}: max|diff| {diff:g3} of max|fp32| {range:g3} ({diff / range:P2})");
            Assert.IsLessThanOrEqualTo(Bfloat16RelativeTolerance * range, diff, $"bf16 {name} drifts from fp32");
        }
        Assert.IsFalse(bf16.MelOutputsPostnet.allclose(fp32.MelOutputsPostnet, rtol: 0, atol: 0), "the math really ran in bf16");
    }

    [TestMethod]
    public void AttentionMaskingInA16BitModelMakesNoNaN()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var attention = new Attention(8, 6, 4, 2, 3);
        attention.to(ScalarType.BFloat16);
        var memory = randn(2, 5, 6).to(ScalarType.BFloat16);
        var mask = Decoder.PaddingMask(tensor(new long[] { 5, 2 }), 5, CPU);
        var (context, weights) = attention.Step(randn(2, 8).to(ScalarType.BFloat16), memory, attention.ProcessMemory(memory),
            zeros(2, 2, 5, dtype: ScalarType.BFloat16), mask);
        Assert.IsTrue(weights.isfinite().all().item<bool>() && context.isfinite().all().item<bool>(), "no NaN/Inf");
        Assert.AreEqual(0.0, weights[1, 2..].to(ScalarType.Float32).abs().sum().item<float>(), "masked steps get no weight");
        Assert.AreEqual(-3.3895313892515355e38, Attention.MaskValue(ScalarType.BFloat16));
        Assert.AreEqual(double.NegativeInfinity, Attention.MaskValue(ScalarType.Float32));
    }

    private static void Close(string manifestName, Tensor batched, Tensor single, int item)
    {
        var (atol, rtol) = ReferenceFixtures.Current.Tolerance(manifestName);
        TensorAssert.Close(batched, single, atol, rtol, $"{manifestName} of item {item}, batched vs alone");
    }
}
