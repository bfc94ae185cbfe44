using static TorchSharp.torch;

namespace MlNetTts.Tests.Fixtures;

/// <summary>
/// Base of test classes that run libtorch on a fixed number of threads for each test (restored afterwards): their
/// runs must repeat bit for bit, their thresholds were measured at that count, or the count is what they test. Each
/// subclass says which.
/// </summary>
public abstract class PinnedTorchThreadsTests(int threads)
{
    /// <summary>libtorch's thread count before the test (e.g. to score as a child process with default threads would).</summary>
    protected int DefaultThreads { get; private set; }

    [TestInitialize]
    public void PinTorchThreads()
    {
        DefaultThreads = get_num_threads();
        set_num_threads(threads);
    }

    [TestCleanup]
    public void RestoreTorchThreads() => set_num_threads(DefaultThreads);
}
