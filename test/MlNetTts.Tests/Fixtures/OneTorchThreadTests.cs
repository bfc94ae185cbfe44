using static TorchSharp.torch;

namespace MlNetTts.Tests.Fixtures;

/// <summary>
/// Base of test classes that run libtorch on one thread for each test (restored afterwards): their runs must repeat
/// bit for bit, or their thresholds were measured on exactly repeatable runs. Each subclass says which.
/// </summary>
public abstract class OneTorchThreadTests
{
    /// <summary>libtorch's thread count before the test (e.g. to score as a child process with default threads would).</summary>
    protected int DefaultThreads { get; private set; }

    [TestInitialize]
    public void PinOneTorchThread()
    {
        DefaultThreads = get_num_threads();
        set_num_threads(1);
    }

    [TestCleanup]
    public void RestoreTorchThreads() => set_num_threads(DefaultThreads);
}
