using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Hardening;

/// <summary>Accepts <paramref name="capacity"/> bytes, then fails every write as a full disk does (ENOSPC's message, no path).</summary>
internal sealed class DiskFullStream(Stream inner, long capacity) : WriteOnlyStream(inner)
{
    public const string NoSpace = "No space left on device";

    protected override void Pass(ReadOnlySpan<byte> buffer)
    {
        if (!PassUpTo(buffer, capacity)) throw new IOException(NoSpace);
    }
}
