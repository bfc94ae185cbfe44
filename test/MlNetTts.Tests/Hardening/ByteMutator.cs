namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Deterministic corruptions of a valid file for fuzzing: bit flips, overwritten bytes, truncation, inserted
/// garbage, and "interesting" values (0x00 / 0x7F / 0xFF runs over a 1-8 byte field, which turn sizes and counts
/// into zero, huge or negative). Positions favour the first and last <see cref="HotWindow"/> bytes, where file
/// formats keep their structure (headers; a zip's central directory).
/// </summary>
internal sealed class ByteMutator(Random random, int hotWindow)
{
    /// <summary>Most bytes one insertion adds.</summary>
    public const int MaxInserted = 64;

    public int HotWindow { get; } = hotWindow;

    /// <summary>A buffer big enough for any mutation of a file of <paramref name="length"/> bytes.</summary>
    public static byte[] BufferFor(int length) => new byte[length + MaxInserted];

    /// <summary>Writes a corrupted copy of <paramref name="original"/> into <paramref name="buffer"/>; returns its length and what was done.</summary>
    public (int Length, string How) Mutate(ReadOnlySpan<byte> original, byte[] buffer)
    {
        int n = original.Length;
        original.CopyTo(buffer);
        if (n == 0) return (0, "empty");
        switch (random.Next(5))
        {
            case 0:
            {
                int flips = 1 + random.Next(8);
                for (int k = 0; k < flips; k++) buffer[Position(n)] ^= (byte)(1 << random.Next(8));
                return (n, $"{flips} bit flips");
            }
            case 1:
            {
                int at = Position(n), count = 1 + random.Next(4);
                for (int k = 0; k < count && at + k < n; k++) buffer[at + k] = (byte)random.Next(256);
                return (n, $"{count} random bytes at {at}");
            }
            case 2:
            {
                int cut = Position(n);
                return (cut, $"truncated to {cut}");
            }
            case 3:
            {
                int at = Position(n), count = 1 + random.Next(MaxInserted);
                random.NextBytes(buffer.AsSpan(at, count));
                original[at..].CopyTo(buffer.AsSpan(at + count));
                return (n + count, $"{count} bytes inserted at {at}");
            }
            default:
            {
                int at = Position(n), width = 1 << random.Next(4);
                byte fill = random.Next(3) switch { 0 => 0xFF, 1 => 0x7F, _ => 0x00 };
                for (int k = 0; k < width && at + k < n; k++) buffer[at + k] = fill;
                return (n, $"{width} bytes of 0x{fill:x2} at {at}");
            }
        }
    }

    private int Position(int length)
    {
        if (length <= 2 * HotWindow || random.NextDouble() < 0.25) return random.Next(length);
        return random.NextDouble() < 0.6 ? random.Next(HotWindow) : length - 1 - random.Next(HotWindow);
    }
}
