using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using Tensorboard;

namespace MlNetTts.Training;

/// <summary>
/// Writes TensorBoard event files (TFRecord framing of <c>Event</c> protobufs, TorchSharp's generated classes):
/// scalars and grayscale PNG images. Our own because TorchSharp's SummaryWriter encodes images through SkiaSharp,
/// whose Linux native library TorchSharp does not bring. Every record is flushed as written.
/// </summary>
internal sealed class TensorBoardWriter : IDisposable
{
    private static readonly uint[] Crc32Table = BuildCrcTable(0xEDB88320u);
    private static readonly uint[] Crc32CTable = BuildCrcTable(0x82F63B78u);
    private readonly FileStream _stream;

    public TensorBoardWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        _stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        WriteEvent(new Event { WallTime = Now(), FileVersion = "brain.Event:2" });
    }

    /// <summary>The event file.</summary>
    public string Path { get; }

    public void AddScalar(string tag, double value, long step)
    {
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        WriteEvent(new Event { WallTime = Now(), Step = step, Summary = summary });
    }

    /// <summary>A grayscale image from values in [0, 1], row-major (height, width).</summary>
    public void AddImage(string tag, float[] pixels, int height, int width, long step)
    {
        var image = new Summary.Types.Image { Height = height, Width = width, Colorspace = 1, EncodedImageString = ByteString.CopyFrom(EncodePng(pixels, height, width)) };
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, Image = image });
        WriteEvent(new Event { WallTime = Now(), Step = step, Summary = summary });
    }

    public void Dispose() => _stream.Dispose();

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void WriteEvent(Event e)
    {
        var data = e.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(footer);
        _stream.Flush();
    }

    private static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc(Crc32CTable, data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    internal static byte[] EncodePng(float[] pixels, int height, int width)
    {
        if (pixels.Length != height * width) throw new ArgumentException($"{pixels.Length} pixels for a {height}x{width} image.", nameof(pixels));
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[width + 1]; // filter type 0, then the row
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    float v = pixels[y * width + x];
                    row[x + 1] = (byte)Math.Clamp((int)MathF.Round((float.IsFinite(v) ? v : 0f) * 255f), 0, 255);
                }
                z.Write(row);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; colour type 0 (grayscale), default compression/filter/interlace
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        png.Write(buffer);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, Crc(Crc32Table, typed));
        png.Write(buffer);
    }

    private static uint Crc(uint[] table, ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildCrcTable(uint polynomial)
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
