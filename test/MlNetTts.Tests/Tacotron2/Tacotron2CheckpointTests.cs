using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>The model built from each of the fixture's .pt checkpoint variants (zip, legacy, DDP-prefixed legacy).</summary>
[TestClass]
public sealed class Tacotron2CheckpointTests
{
    public static IEnumerable<object[]> Checkpoints =>
        Tacotron2Fixture.Section.GetProperty("checkpoints").EnumerateObject().Select(p => new object[] { p.Name });

    [TestMethod]
    [TestCategory("Parity")]
    [DynamicData(nameof(Checkpoints))]
    public void ACheckpointBuildsTheReferenceModel(string file)
    {
        var f = ReferenceFixtures.Current;
        using var scope = NewDisposeScope();
        using var model = Tacotron2Model.FromCheckpoint(f.PathOf(file));
        Assert.AreEqual(Tacotron2Fixture.Config(), model.Config, "config from the checkpoint");
        Assert.IsFalse(model.training, "returned in eval mode");
        Assert.IsTrue(model.PrenetDropout, "the reference's prenet dropout stays on by default");

        // The weights equal the fixture's state dict exactly.
        using var reference = Tacotron2Fixture.Model();
        var ours = model.state_dict();
        foreach (var (key, expected) in reference.state_dict())
            Assert.IsTrue(expected.allclose(ours[key], rtol: 0, atol: 0) || expected.dtype == ScalarType.Int64 && expected.equal(ours[key]).item<bool>(), $"{key} differs");

        // And reproduce the reference's teacher-forced and inference outputs.
        model.PrenetDropout = false;
        var text = f.Tensor("inputs.text_padded");
        var lengths = f.Tensor("inputs.input_lengths");
        using (no_grad())
        {
            var output = model.Forward(text, lengths, f.Tensor("inputs.mel_padded"), f.Tensor("inputs.output_lengths"));
            f.AssertMatches("tf.mel_outputs_postnet", output.MelOutputsPostnet);
            f.AssertMatches("tf.gate_outputs", output.GateOutputs);
        }
        var (options, _) = Tacotron2Fixture.Inference("infer");
        using var inferred = model.Infer(text, lengths, options);
        f.AssertMatches("infer.mel_outputs_postnet", inferred.MelOutputsPostnet);
        f.AssertMatches("infer.mel_lengths", inferred.MelLengths);
    }

    [TestMethod]
    public void AMissingCheckpointIsReportedByPath()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-tacotron2.pt");
        var error = Assert.Throws<Exception>(() => Tacotron2Model.FromCheckpoint(path));
        StringAssert.Contains(error.Message, "no-such-tacotron2.pt");
    }
}
