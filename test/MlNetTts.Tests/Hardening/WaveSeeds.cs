using System.Buffers.Binary;
using System.Text;
using MlNetTts.Audio;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Valid WAV files of every encoding <see cref="WaveFile"/> reads — what the WAV fuzzer mutates: each encoding as
/// WaveFile writes it, plus hand-built files WaveFile does not write (64-bit float, stereo, WAVE_FORMAT_EXTENSIBLE,
/// a LIST chunk before the data, an odd-sized chunk with its pad byte).
/// </summary>
internal static class WaveSeeds
{
    public const int SampleRate = 16000;

    public static IReadOnlyList<(string Name, byte[] Bytes)> All()
    {
        var samples = Enumerable.Range(0, 1200).Select(i => (float)(0.5 * Math.Sin(i * 0.07) + 0.1 * Math.Sin(i * 1.3))).ToArray();
        var seeds = new List<(string, byte[])>();
        var folder = Path.Combine(Path.GetTempPath(), "mlnettts-wavseeds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var encoding in new[] { WaveEncoding.Pcm8, WaveEncoding.Pcm16, WaveEncoding.Pcm24, WaveEncoding.Pcm32, WaveEncoding.Float32 })
            {
                var path = Path.Combine(folder, encoding + ".wav");
                WaveFile.Write(path, samples, SampleRate, encoding);
                seeds.Add((encoding.ToString(), File.ReadAllBytes(path)));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        var float64 = new byte[samples.Length * 8];
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(float64.AsSpan(i * 8), samples[i]);
        seeds.Add(("Float64", Riff(Format(3, 1, 64), float64)));

        var stereo = new byte[samples.Length * 4];
        for (int i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(stereo.AsSpan(i * 4), (short)(samples[i] * 30000));
            BinaryPrimitives.WriteInt16LittleEndian(stereo.AsSpan(i * 4 + 2), (short)(-samples[i] * 20000));
        }
        seeds.Add(("Pcm16 stereo, LIST chunk", Riff(Format(1, 2, 16), stereo, Chunk("LIST", Encoding.ASCII.GetBytes("INFOISFT\x05\0\0\0test\0\0")))));

        var extensible24 = new byte[samples.Length * 6];
        for (int i = 0; i < samples.Length * 2; i++)
        {
            int v = (int)(samples[i / 2] * 8_000_000);
            extensible24[i * 3] = (byte)v; extensible24[i * 3 + 1] = (byte)(v >> 8); extensible24[i * 3 + 2] = (byte)(v >> 16);
        }
        seeds.Add(("Pcm24 extensible stereo, odd chunk", Riff(Extensible(2, 24, PcmSubFormat), extensible24, Chunk("junk", [1, 2, 3]))));
        return seeds;
    }

    private static readonly Guid PcmSubFormat = new("00000001-0000-0010-8000-00aa00389b71");

    private static byte[] Format(ushort tag, ushort channels, ushort bits)
    {
        var f = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(f, tag);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(2), channels);
        BinaryPrimitives.WriteInt32LittleEndian(f.AsSpan(4), SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(f.AsSpan(8), SampleRate * channels * bits / 8);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(12), (ushort)(channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(14), bits);
        return f;
    }

    private static byte[] Extensible(ushort channels, ushort bits, Guid subFormat)
    {
        var f = new byte[40];
        Format(0xFFFE, channels, bits).CopyTo(f, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(16), 22); // cbSize
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(18), bits); // valid bits
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(20), 3); // channel mask: front left, front right
        subFormat.TryWriteBytes(f.AsSpan(24));
        return f;
    }

    private static byte[] Chunk(string id, byte[] body)
    {
        var c = new byte[8 + body.Length + (body.Length & 1)];
        Encoding.ASCII.GetBytes(id).CopyTo(c, 0);
        BinaryPrimitives.WriteInt32LittleEndian(c.AsSpan(4), body.Length);
        body.CopyTo(c, 8);
        return c;
    }

    private static byte[] Riff(byte[] format, byte[] data, params byte[][] extra)
    {
        var body = new List<byte>(Encoding.ASCII.GetBytes("WAVE"));
        body.AddRange(Chunk("fmt ", format));
        foreach (var e in extra) body.AddRange(e);
        body.AddRange(Chunk("data", data));
        return [.. Chunk("RIFF", [.. body])];
    }
}
