using System.Buffers.Binary;
using System.Text;

namespace MlNetTts.Checkpoints;

/// <summary>
/// Sequential reader over a pickle stream that knows how many bytes are left, so every length read from the
/// file is checked against what the file can still hold before anything is allocated.
/// </summary>
internal sealed class PickleInput
{
    private readonly Stream _stream;
    private readonly long _length;

    public PickleInput(Stream stream, string filePath)
    {
        _stream = stream;
        _length = stream.Length;
        FilePath = filePath;
    }

    public string FilePath { get; }

    public long Position => _stream.Position;

    public long Remaining => _length - _stream.Position;

    public CheckpointFormatException Error(string problem) => new(FilePath, problem);

    public byte ReadByte()
    {
        int b = _stream.ReadByte();
        if (b < 0) throw Error($"the file ends inside a pickle (at byte {Position})");
        return (byte)b;
    }

    /// <summary>Reads <paramref name="count"/> bytes, refusing before allocating when the file cannot hold them.</summary>
    public byte[] ReadBytes(long count)
    {
        if (count < 0 || count > Remaining)
            throw Error($"a length of {count} bytes at byte {Position} runs past the end of the data ({Remaining} bytes left)");
        if (count > Array.MaxLength) throw Error($"a length of {count} bytes at byte {Position} is larger than supported");
        var bytes = new byte[count];
        _stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Fills <paramref name="destination"/>, refusing if the file cannot hold it.</summary>
    public void ReadInto(Span<byte> destination)
    {
        if (destination.Length > Remaining)
            throw Error($"{destination.Length} bytes of storage data at byte {Position} run past the end of the file ({Remaining} bytes left)");
        _stream.ReadExactly(destination);
    }

    public ushort ReadUInt16() { Span<byte> b = stackalloc byte[2]; ReadInto(b); return BinaryPrimitives.ReadUInt16LittleEndian(b); }

    public int ReadInt32() { Span<byte> b = stackalloc byte[4]; ReadInto(b); return BinaryPrimitives.ReadInt32LittleEndian(b); }

    public uint ReadUInt32() { Span<byte> b = stackalloc byte[4]; ReadInto(b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }

    public long ReadInt64() { Span<byte> b = stackalloc byte[8]; ReadInto(b); return BinaryPrimitives.ReadInt64LittleEndian(b); }

    public double ReadBigEndianDouble() { Span<byte> b = stackalloc byte[8]; ReadInto(b); return BinaryPrimitives.ReadDoubleBigEndian(b); }

    /// <summary>A newline-terminated ASCII/UTF-8 line (text opcodes), without the newline.</summary>
    public string ReadLine()
    {
        long start = Position;
        var bytes = new List<byte>();
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0) throw Error($"the file ends inside a text line that starts at byte {start}");
            if (b == '\n') break;
            bytes.Add((byte)b);
        }
        return Utf8(bytes.ToArray());
    }

    public string Utf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new CheckpointFormatException(FilePath, $"a string before byte {Position} is not valid UTF-8", e);
        }
    }
}
