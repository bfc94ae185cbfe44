using MlNetTts.Runtime;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Foundation;

[TestClass]
public sealed class NnpackTests
{
    [TestMethod]
    public void NnpackIsSwitchedOffSoConvolutionsDoNotTryIt()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("The switch is applied through libtorch_cpu.so on Linux only.");
        TorchRuntime.EnsureLoaded();

        // The switch reads the flag back from libtorch's global context.
        Assert.IsTrue(Nnpack.EnsureDisabled(), "at::globalContext().userEnabledNNPACK() is still true");

        // Convolutions still work (through oneDNN) with NNPACK off.
        using var scope = NewDisposeScope();
        var y = nn.functional.conv1d(ones(1, 16, 32), ones(16, 16, 3), padding: 1);
        Assert.AreEqual(48f, y[0, 0, 1].item<float>());
    }
}
