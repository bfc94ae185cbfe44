using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Passes writes through in small chunks with a pause after each, as a slow disk would, so that a checkpoint write
/// lasts long enough for another process to kill the writer in the middle of it.
/// </summary>
internal sealed class SlowWriteStream(Stream inner, int chunkBytes, TimeSpan pause) : WriteOnlyStream(inner)
{
    protected override void Pass(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            // Pause once per chunkBytes written, however the writer splits its writes.
            int n = (int)Math.Min(buffer.Length, chunkBytes - Written % chunkBytes);
            Inner.Write(buffer[..n]);
            Written += n;
            buffer = buffer[n..];
            if (Written % chunkBytes == 0)
            {
                Inner.Flush(); // reach the file now, so a kill leaves a genuinely half-written temporary file
                Thread.Sleep(pause);
            }
        }
    }
}
