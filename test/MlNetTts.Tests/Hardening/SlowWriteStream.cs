namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Passes writes through in small chunks with a pause after each, as a slow disk would, so that a checkpoint write
/// lasts long enough for another process to kill the writer in the middle of it.
/// </summary>
internal sealed class SlowWriteStream(Stream inner, int chunkBytes, TimeSpan pause) : Stream
{
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
        while (!buffer.IsEmpty)
        {
            // Pause once per chunkBytes written, however the writer splits its writes.
            int n = (int)Math.Min(buffer.Length, chunkBytes - _written % chunkBytes);
            inner.Write(buffer[..n]);
            _written += n;
            buffer = buffer[n..];
            if (_written % chunkBytes == 0)
            {
                inner.Flush(); // reach the file now, so a kill leaves a genuinely half-written temporary file
                Thread.Sleep(pause);
            }
        }
    }
}
