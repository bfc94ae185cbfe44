using MlNetTts.Data;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Training;
using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

[TestClass]
public sealed class Tacotron2WideningTests
{
    private static Tacotron2Config Wider(Tacotron2Config config) =>
        config with { AttentionRnnDim = config.AttentionRnnDim + 24, DecoderRnnDim = config.DecoderRnnDim + 40 };

    private static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [TestMethod]
    public void AWidenedModelComputesExactlyWhatTheNarrowOneDid()
    {
        using var scope = NewDisposeScope();
        using var narrow = SyntheticSpeech.NewModel();
        // Train it a little first, so every weight the widening copies carries something learnt.
        using (var trainer = new Tacotron2Trainer(narrow, new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 4 }))
            trainer.Fit(SyntheticSpeech.Create(8, seed: 5));
        manual_seed(9);
        using var wide = Tacotron2Widening.Widen(narrow, Wider(narrow.Config));
        Assert.AreEqual(narrow.Config.AttentionRnnDim + 24, wide.Config.AttentionRnnDim);
        Assert.AreEqual(narrow.Config.DecoderRnnDim + 40, wide.Config.DecoderRnnDim);
        Assert.IsGreaterThan(narrow.parameters().Sum(p => p.numel()), wide.parameters().Sum(p => p.numel()));

        var data = SyntheticSpeech.Create(4, seed: 6);
        var batch = TextMelCollate.Collate(data, [0, 1, 2, 3], narrow.Config.FramesPerStep);
        using var noGrad = no_grad();
        foreach (var model in new[] { narrow, wide })
        {
            model.eval();
            model.PrenetDropout = false;
        }
        var a = narrow.Forward(batch.TextPadded, batch.InputLengths, batch.MelPadded, batch.OutputLengths);
        var b = wide.Forward(batch.TextPadded, batch.InputLengths, batch.MelPadded, batch.OutputLengths);
        Assert.IsLessThan(1e-5f, MaxDifference(a.MelOutputsPostnet, b.MelOutputsPostnet), "teacher-forced mels");
        Assert.IsLessThan(1e-5f, MaxDifference(a.GateOutputs, b.GateOutputs), "gate logits");
        Assert.IsLessThan(1e-5f, MaxDifference(a.Alignments, b.Alignments), "attention");

        var options = new Tacotron2InferenceOptions { MaxDecoderSteps = 20, EarlyStopping = false };
        using var x = narrow.Infer(batch.TextPadded, batch.InputLengths, options);
        using var y = wide.Infer(batch.TextPadded, batch.InputLengths, options);
        Assert.IsLessThan(1e-4f, MaxDifference(x.MelOutputsPostnet, y.MelOutputsPostnet), "free-running mels");
    }

    [TestMethod]
    public void TheAddedUnitsStartSilentAndLearn()
    {
        using var narrow = SyntheticSpeech.NewModel();
        manual_seed(9);
        using var wide = Tacotron2Widening.Widen(narrow, Wider(narrow.Config));
        int d = narrow.Config.DecoderRnnDim, added = 40;
        double Outgoing() => wide.state_dict()["decoder.linear_projection.linear_layer.weight"].narrow(1, d, added).abs().sum().item<float>();
        double Incoming() => wide.state_dict()["decoder.decoder_rnn.weight_ih"].narrow(0, d, added).abs().sum().item<float>();
        Assert.AreEqual(0, Outgoing(), "nothing reads the added decoder units yet");
        Assert.IsGreaterThan(0, Incoming(), "the added units have fresh input weights");

        using (var trainer = new Tacotron2Trainer(wide, new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 4 }))
            trainer.Fit(SyntheticSpeech.Create(8, seed: 5));
        Assert.IsGreaterThan(0, Outgoing(), "training starts reading them");
    }

    [TestMethod]
    public void OnlyTheLstmWidthsMayChangeAndOnlyUpward()
    {
        using var narrow = SyntheticSpeech.NewModel();
        var other = Assert.ThrowsExactly<ArgumentException>(() => Tacotron2Widening.Widen(narrow, Wider(narrow.Config) with { PrenetDim = 48 }));
        StringAssert.Contains(other.Message, "PrenetDim");
        var shrink = Assert.ThrowsExactly<ArgumentException>(() => Tacotron2Widening.Widen(narrow, narrow.Config with { DecoderRnnDim = 32 }));
        StringAssert.Contains(shrink.Message, "DecoderRnnDim");
        using var same = Tacotron2Widening.Widen(narrow, narrow.Config);
        Assert.AreEqual(narrow.Config, same.Config);
    }
}
