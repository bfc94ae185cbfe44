using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>Every Tacotron 2 output of the reference fixture set, reproduced from its weights and inputs.</summary>
[TestClass]
public sealed class Tacotron2ParityTests
{
    [TestMethod]
    [TestCategory("Parity")]
    public void TeacherForcedOutputsLossAndIntermediatesMatchTheReference()
    {
        var config = Tacotron2Fixture.Config();
        AssertTeacherForced("tf.", config);
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void TeacherForcedOutputsWithTheOppositeMaskPaddingMatchTheReference()
    {
        var config = Tacotron2Fixture.Config();
        AssertTeacherForced("tf_altmask.", config with { MaskPadding = !config.MaskPadding });
    }

    [TestMethod]
    [TestCategory("Parity")]
    public void InferenceWithEarlyStoppingMatchesTheReference() => AssertInference("infer");

    [TestMethod]
    [TestCategory("Parity")]
    public void InferenceWithoutEarlyStoppingMatchesTheReference() => AssertInference("infer_noearlystop");

    private static void AssertTeacherForced(string prefix, Tacotron2Config config)
    {
        var f = ReferenceFixtures.Current;
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model(config);
        var text = f.Tensor("inputs.text_padded");
        var inputLengths = f.Tensor("inputs.input_lengths");
        var mel = f.Tensor("inputs.mel_padded");
        var gate = f.Tensor("inputs.gate_padded");
        var outputLengths = f.Tensor("inputs.output_lengths");

        using var noGrad = no_grad();
        var output = model.Forward(text, inputLengths, mel, outputLengths);
        var loss = Tacotron2Loss.Compute(output, mel, gate);
        var embedded = model.Embed(text);
        var encoded = model.Encoder.Forward(embedded.transpose(1, 2), inputLengths);
        var ours = new Dictionary<string, Tensor>
        {
            [prefix + "mel_outputs"] = output.MelOutputs,
            [prefix + "mel_outputs_postnet"] = output.MelOutputsPostnet,
            [prefix + "gate_outputs"] = output.GateOutputs,
            [prefix + "alignments"] = output.Alignments,
            [prefix + "loss"] = loss.Total,
            [prefix + "loss_components"] = stack([loss.MelLoss, loss.PostnetLoss, loss.GateLoss]),
            [prefix + "embedded_inputs"] = embedded,
            [prefix + "encoder_outputs"] = encoded,
            // The postnet residual of the unmasked decoder mel (mask_padding masks only the returned outputs).
            [prefix + "postnet_residual"] = model.Postnet.call(model.Decoder.Forward(encoded, mel, inputLengths).MelOutputs),
        };
        Tacotron2Fixture.AssertAllMatch(prefix, ours);
    }

    private static void AssertInference(string name)
    {
        var f = ReferenceFixtures.Current;
        var prefix = name + ".";
        var (options, stepsRun) = Tacotron2Fixture.Inference(name);
        using var scope = NewDisposeScope();
        using var model = Tacotron2Fixture.Model();
        var text = f.Tensor("inputs.text_padded");
        var lengths = f.Tensor("inputs.input_lengths");

        using var result = model.Infer(text, lengths, options);
        Assert.AreEqual(stepsRun, result.Steps, "decoder steps run");
        var ours = new Dictionary<string, Tensor>
        {
            [prefix + "mel_outputs_postnet"] = result.MelOutputsPostnet,
            [prefix + "mel_lengths"] = result.MelLengths,
            [prefix + "alignments"] = result.Alignments,
            [prefix + "mel_outputs"] = result.MelOutputs,
            // Decoder.infer's raw layout: (1, T*B), step-major.
            [prefix + "gate_outputs"] = result.GateOutputs.transpose(0, 1).reshape(1, -1),
        };
        Tacotron2Fixture.AssertAllMatch(prefix, ours);
        Assert.AreEqual(ScalarType.Int32, result.MelLengths.dtype);

        // Items that never crossed the threshold ran into the cap and are reported.
        var melLengths = f.Tensor(prefix + "mel_lengths").data<int>().ToArray();
        var framesAtCap = options.MaxDecoderSteps!.Value * model.Config.FramesPerStep;
        CollectionAssert.AreEqual(melLengths.Select(l => l == framesAtCap).ToArray(), result.HitMaxDecoderSteps.ToArray(), "items reported as hitting the step cap");
    }
}
