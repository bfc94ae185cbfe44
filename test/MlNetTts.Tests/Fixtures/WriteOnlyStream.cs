namespace MlNetTts.Tests.Fixtures;

/// <summary>
/// A write-only wrapper that passes bytes on to <paramref name="inner"/> through <see cref="Pass"/>, which a
/// subclass overrides to misbehave as a disk can (stop, fail, slow down); <see cref="Written"/> counts what got through.
/// </summary>
internal abstract class WriteOnlyStream(Stream inner) : Stream
{
    protected Stream Inner { get; } = inner;

    /// <summary>Bytes passed to the inner stream so far.</summary>
    protected long Written { get; set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() => Inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => Pass(buffer);

    /// <summary>Writes (some of) <paramref name="buffer"/> to <see cref="Inner"/>, adding to <see cref="Written"/>.</summary>
    protected abstract void Pass(ReadOnlySpan<byte> buffer);

    /// <summary>Passes at most <paramref name="limit"/> bytes in total; returns whether all of <paramref name="buffer"/> fitted.</summary>
    protected bool PassUpTo(ReadOnlySpan<byte> buffer, long limit)
    {
        int allowed = (int)Math.Min(buffer.Length, Math.Max(0, limit - Written));
        Inner.Write(buffer[..allowed]);
        Written += allowed;
        return allowed == buffer.Length;
    }
}
