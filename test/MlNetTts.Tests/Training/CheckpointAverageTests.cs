using MlNetTts.Tacotron2;
using MlNetTts.Tests.Cli;
using MlNetTts.Training;
using MlNetTts.Voices;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

[TestClass]
public sealed class CheckpointAverageTests
{
    private readonly TempFolder _dir = new();

    [TestCleanup]
    public void DeleteFolder() => _dir.Dispose();

    private string SaveFloat32(Tacotron2Model model, string name)
    {
        string folder = _dir[name];
        Voice.Export(model, folder, new VoiceManifest { Name = name, Tacotron2 = new() }, ScalarType.Float32);
        return folder;
    }

    private static Tacotron2Model Seeded(int seed, Tacotron2Config? config = null)
    {
        manual_seed(seed);
        return new Tacotron2Model(config ?? SyntheticSpeech.TinyConfig);
    }

    [TestMethod]
    public void EveryWeightIsTheMeanOfTheCheckpointsWeights()
    {
        using var a = Seeded(1);
        using var b = Seeded(2);
        using var c = Seeded(3);
        using var averaged = CheckpointAverage.LoadTacotron2([SaveFloat32(a, "a"), SaveFloat32(b, "b"), SaveFloat32(c, "c")]);

        var (sa, sb, sc) = (a.state_dict(), b.state_dict(), c.state_dict());
        foreach (var (name, value) in averaged.state_dict())
        {
            if (!value.is_floating_point()) continue;
            using var mean = (sa[name] + sb[name] + sc[name]) / 3;
            Assert.IsTrue(mean.allclose(value, rtol: 1e-6, atol: 1e-7), $"{name} is not the mean of the three checkpoints");
        }
        Assert.IsFalse(sa["decoder.attention_rnn.weight_ih"].allclose(averaged.state_dict()["decoder.attention_rnn.weight_ih"]),
            "the average should differ from the first checkpoint");
    }

    [TestMethod]
    public void OneCheckpointLoadsUnchanged()
    {
        using var a = Seeded(1);
        using var loaded = CheckpointAverage.LoadTacotron2([SaveFloat32(a, "a")]);
        Assert.IsTrue(a.state_dict()["decoder.linear_projection.linear_layer.weight"]
            .allclose(loaded.state_dict()["decoder.linear_projection.linear_layer.weight"], rtol: 0, atol: 0));
    }

    [TestMethod]
    public void CheckpointsOfAnotherArchitectureAreRefusedByName()
    {
        using var a = Seeded(1);
        using var wider = Seeded(2, SyntheticSpeech.TinyConfig with { DecoderRnnDim = 96 });
        string first = SaveFloat32(a, "a"), other = SaveFloat32(wider, "other");
        var error = Assert.ThrowsExactly<ArgumentException>(() => CheckpointAverage.LoadTacotron2([first, other]));
        StringAssert.Contains(error.Message, other);
        Assert.ThrowsExactly<ArgumentException>(() => CheckpointAverage.LoadTacotron2([]));
    }
}
