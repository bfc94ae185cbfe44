using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Training;

/// <summary>A stream that fails with an IOException once <c>failAfterBytes</c> have been written (a full disk, a crash).</summary>
internal sealed class FailingStream(Stream inner, long failAfterBytes) : WriteOnlyStream(inner)
{
    protected override void Pass(ReadOnlySpan<byte> buffer)
    {
        if (!PassUpTo(buffer, failAfterBytes)) throw new IOException("Simulated failure half-way through the checkpoint write.");
    }
}
