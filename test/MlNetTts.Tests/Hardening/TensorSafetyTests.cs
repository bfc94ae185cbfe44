using MlNetTts.Tests.MlNet;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Tensor-level safety. TorchSharp aborts the whole process on some wrong inputs (a bf16 x fp32 matmul, proved
/// below in a child process); every public entry point that takes tensors validates dtype, rank, shape and device
/// first and raises an ArgumentException naming the argument. The cases (<see cref="TensorSafetyCases"/>) run in a
/// child process, so a missing validation that aborts kills the child, not the test host, and the failure names the case.
/// </summary>
[TestClass]
public sealed class TensorSafetyTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void MixedDtypeMatmulAbortsTheProcessNatively()
    {
        var (exit, output) = ChildProcess.Run(typeof(TensorSafetyCases).GetMethod(nameof(TensorSafetyCases.RawMixedMatmul))!, TimeSpan.FromMinutes(2));
        TestContext.WriteLine($"exit {exit}: {output}");
        // Neither returned (0) nor caught (1): the process died inside libtorch. If this starts failing, TorchSharp
        // has made the error catchable and the validation below is a convenience rather than a necessity.
        Assert.IsTrue(exit is not 0 and not 1, $"exit code {exit}: {output}");
    }

    [TestMethod]
    public void WrongTensorsAreRefusedNamingTheArgument()
    {
        var (exit, output) = ChildProcess.Run(typeof(TensorSafetyCases).GetMethod(nameof(TensorSafetyCases.RunInChild))!, TimeSpan.FromMinutes(5));
        TestContext.WriteLine(output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var started = lines.Where(l => l.StartsWith("RUN ", StringComparison.Ordinal)).Select(l => l[4..]).ToList();
        var finished = lines.Where(l => l.StartsWith("OK ", StringComparison.Ordinal) || l.StartsWith("BAD ", StringComparison.Ordinal)).ToList();
        if (finished.Count < started.Count) Assert.Fail($"the child died (exit {exit}) in case '{started[finished.Count]}':\n{output}");
        var bad = finished.Where(l => l.StartsWith("BAD ", StringComparison.Ordinal)).ToList();
        Assert.IsEmpty(bad, string.Join("\n", bad));
        Assert.AreEqual(0, exit, output);
        Assert.HasCount(TensorSafetyCases.All().Count, finished);
    }
}
