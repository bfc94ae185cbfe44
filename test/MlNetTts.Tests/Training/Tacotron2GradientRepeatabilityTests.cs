using MlNetTts.Data;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Nn;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

[TestClass]
public sealed class Tacotron2GradientRepeatabilityTests() : PinnedTorchThreadsTests(2)
{
    [TestMethod]
    public void TwoThreadTrainingGradientsAreFiniteAndRepeatBitForBitOverFreedNaNMemory()
    {
        // Was: NaN in most runs and ~1e-5 differences in the rest (libtorch's conv1d leaking freed memory).
        var data = SyntheticSpeech.Create(6, seed: 1);
        float[][] Run()
        {
            using var scope = NewDisposeScope();
            using var model = SyntheticSpeech.NewModel();
            model.train();
            manual_seed(5); // dropout masks
            var batch = TextMelCollate.Collate(data, [0, 1, 2, 3]);
            var output = model.Forward(batch.TextPadded, batch.InputLengths, batch.MelPadded, batch.OutputLengths);
            Tacotron2Loss.Compute(output, batch.MelPadded, batch.GatePadded).Total.backward();
            return model.parameters().Select(p => p.grad!.contiguous().data<float>().ToArray()).ToArray();
        }
        var first = Run();
        Assert.IsTrue(first.All(g => g.All(float.IsFinite)), "first gradients are finite");
        for (int run = 0; run < 6; run++)
        {
            Conv1dFreedMemoryTests.FreeNaNFilledMemory();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var again = Run();
            for (int i = 0; i < first.Length; i++)
                Assert.IsTrue(again[i].SequenceEqual(first[i]), $"run {run}: gradient of parameter {i} repeats bit for bit");
        }
    }
}
