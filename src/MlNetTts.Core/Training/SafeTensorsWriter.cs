using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Writes the safetensors format that <see cref="Checkpoints.SafeTensorsFile"/> reads: 8-byte little-endian header
/// length, a JSON header (dtype, shape, byte range per tensor, optional <c>__metadata__</c>), then raw data.
/// </summary>
internal static class SafeTensorsWriter
{
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var blobs = new List<byte[]>(tensors.Count);
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is not null) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            var (dtype, bytes) = ToBytes(name, value);
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = dtype,
                ["shape"] = value.shape,
                ["data_offsets"] = new[] { offset, offset + bytes.Length },
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header, TrainingJson.Options));
        // Pad the header with spaces to 8 bytes, as the format's reference writer does, so data is aligned.
        int padded = (json.Length + 7) / 8 * 8;
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var blob in blobs) stream.Write(blob);
    }

    private static (string DType, byte[] Bytes) ToBytes(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().contiguous();
        return cpu.dtype switch
        {
            ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()).ToArray()),
            ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes(cpu.data<double>().ToArray().AsSpan()).ToArray()),
            ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes(cpu.data<long>().ToArray().AsSpan()).ToArray()),
            ScalarType.Int32 => ("I32", MemoryMarshal.AsBytes(cpu.data<int>().ToArray().AsSpan()).ToArray()),
            ScalarType.Byte => ("U8", cpu.data<byte>().ToArray()),
            ScalarType.Bool => ("BOOL", cpu.data<bool>().ToArray().Select(b => b ? (byte)1 : (byte)0).ToArray()),
            ScalarType.Float16 or ScalarType.BFloat16 => (cpu.dtype == ScalarType.Float16 ? "F16" : "BF16", HalfBytes(cpu)),
            _ => throw new NotSupportedException($"Tensor '{name}' has dtype {cpu.dtype}, which training checkpoints do not store."),
        };
    }

    // TorchSharp reads no 16-bit float arrays out: widen to float32 (exact), then take each value's 16-bit pattern
    // (exact too: the values already are fp16/bf16).
    private static byte[] HalfBytes(Tensor half)
    {
        using var wide = half.to_type(ScalarType.Float32);
        var values = wide.data<float>().ToArray();
        var bits = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
            bits[i] = half.dtype == ScalarType.Float16
                ? BitConverter.HalfToUInt16Bits((Half)values[i])
                : (ushort)(BitConverter.SingleToInt32Bits(values[i]) >>> 16);
        return MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
    }
}
