using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Checkpoints;

/// <summary>
/// Reads the safetensors format: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, then the raw little-endian data. Nothing in the
/// file is executed; every size is checked against the file before anything is allocated.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>Largest JSON header accepted (the format's own reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly string _path;
    private readonly long _dataStart;
    private readonly Dictionary<string, Entry> _entries;

    private SafeTensorsFile(string path, long dataStart, Dictionary<string, Entry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        _path = path;
        _dataStart = dataStart;
        _entries = entries;
        Metadata = metadata;
    }

    /// <summary>The optional <c>__metadata__</c> string map of the header.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in header order.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    /// <summary>Shape of a tensor as recorded in the header.</summary>
    public long[] Shape(string name) => Get(name).Shape.ToArray();

    /// <summary>Dtype of a tensor as recorded in the header.</summary>
    public ScalarType DType(string name) => Get(name).DType;

    /// <summary>Opens <paramref name="path"/> and validates its header.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw Bad(path, "shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw Bad(path, $"header length {headerLength} does not fit a file of {fileLength} bytes");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var json = JsonDocument.Parse(header);
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "the header is not a JSON object");
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                entries[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or OverflowException)
        {
            throw Bad(path, "malformed header: " + e.Message, e);
        }
        return new SafeTensorsFile(path, dataStart, entries, metadata);
    }

    /// <summary>Reads every tensor of the file (CPU). The caller owns, and disposes, the tensors.</summary>
    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        var file = Open(path);
        return file.Names.ToDictionary(n => n, file.Read, StringComparer.Ordinal);
    }

    /// <summary>Reads one tensor (CPU). The caller owns, and disposes, the tensor.</summary>
    public Tensor Read(string name)
    {
        var entry = Get(name);
        var bytes = new byte[entry.End - entry.Begin];
        using (var stream = File.OpenRead(_path))
        {
            stream.Seek(_dataStart + entry.Begin, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
        }
        return TensorFromLittleEndianBytes(bytes, entry.DType, entry.Shape);
    }

    /// <summary>A CPU tensor of <paramref name="dtype"/> and <paramref name="shape"/> from raw little-endian element bytes.</summary>
    internal static Tensor TensorFromLittleEndianBytes(ReadOnlySpan<byte> bytes, ScalarType dtype, long[] shape)
    {
        switch (dtype)
        {
            case ScalarType.Float32: return torch.tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape);
            case ScalarType.Float64: return torch.tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape);
            case ScalarType.Int64: return torch.tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape);
            case ScalarType.Int32: return torch.tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), shape);
            case ScalarType.Int16: return torch.tensor(MemoryMarshal.Cast<byte, short>(bytes).ToArray(), shape);
            case ScalarType.Int8: return torch.tensor(MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(), shape);
            case ScalarType.Byte: return torch.tensor(bytes.ToArray(), shape);
            case ScalarType.Bool: return torch.tensor(bytes.ToArray().Select(b => b != 0).ToArray(), shape);
            case ScalarType.Float16:
            case ScalarType.BFloat16:
            {
                // No 16-bit float array constructor in TorchSharp: widen to float32 (exact), then narrow back (exact).
                var halves = MemoryMarshal.Cast<byte, ushort>(bytes);
                var widened = new float[halves.Length];
                for (int i = 0; i < halves.Length; i++)
                    widened[i] = dtype == ScalarType.Float16
                        ? (float)BitConverter.UInt16BitsToHalf(halves[i])
                        : BitConverter.Int32BitsToSingle(halves[i] << 16);
                using var wide = torch.tensor(widened, shape);
                return wide.to(dtype);
            }
            default:
                throw new NotSupportedException($"dtype {dtype} is not supported.");
        }
    }

    private Entry Get(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry
        : throw new KeyNotFoundException($"{_path} has no tensor named '{name}'.");

    private static Entry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        var dtypeName = value.GetProperty("dtype").GetString() ?? "";
        var (dtype, size) = dtypeName switch
        {
            "F32" => (ScalarType.Float32, 4),
            "F16" => (ScalarType.Float16, 2),
            "BF16" => (ScalarType.BFloat16, 2),
            "F64" => (ScalarType.Float64, 8),
            "I64" => (ScalarType.Int64, 8),
            "I32" => (ScalarType.Int32, 4),
            "I16" => (ScalarType.Int16, 2),
            "I8" => (ScalarType.Int8, 1),
            "U8" => (ScalarType.Byte, 1),
            "BOOL" => (ScalarType.Bool, 1),
            _ => throw Bad(path, $"tensor '{name}' has unsupported dtype '{dtypeName}'"),
        };
        var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw Bad(path, $"tensor '{name}' has byte range [{string.Join(", ", offsets)}] outside the {dataLength}-byte data section");
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw Bad(path, $"tensor '{name}' has a negative dimension");
            count = checked(count * d);
        }
        if (checked(count * size) != offsets[1] - offsets[0])
            throw Bad(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtypeName} needs {count * size} bytes, the header gives {offsets[1] - offsets[0]}");
        return new Entry(dtype, shape, offsets[0], offsets[1]);
    }

    private static InvalidDataException Bad(string path, string what, Exception? inner = null) =>
        new($"{path} is not a valid safetensors file: {what}.", inner);

    private sealed record Entry(ScalarType DType, long[] Shape, long Begin, long End);
}
