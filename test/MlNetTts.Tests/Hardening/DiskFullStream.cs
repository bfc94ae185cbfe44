namespace MlNetTts.Tests.Hardening;

/// <summary>Accepts <paramref name="capacity"/> bytes, then fails every write as a full disk does (ENOSPC's message, no path).</summary>
internal sealed class DiskFullStream(Stream inner, long capacity) : Stream
{
    public const string NoSpace = "No space left on device";

    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int allowed = (int)Math.Min(buffer.Length, Math.Max(0, capacity - _written));
        inner.Write(buffer[..allowed]);
        _written += allowed;
        if (allowed < buffer.Length) throw new IOException(NoSpace);
    }
}
