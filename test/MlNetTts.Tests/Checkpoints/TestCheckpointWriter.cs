using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;

namespace MlNetTts.Tests.Checkpoints;

/// <summary>A tensor to write: a strided view of a named storage, as <c>_rebuild_tensor_v2</c> describes it.</summary>
internal sealed record TensorSpec(string StorageKey, long Offset, long[] Size, long[] Stride);

/// <summary>A storage to write: its torch storage class (e.g. "FloatStorage"), element count and raw little-endian bytes.</summary>
internal sealed record StorageSpec(string StorageClass, long Numel, byte[] Data, string StorageModule = "torch");

/// <summary>
/// Writes checkpoints the way torch.save does, in both formats, from plain C# values: Dictionary&lt;string, object?&gt;
/// (dict), List&lt;object?&gt; (list), object?[] (tuple), long, double, string, bool, null, BigInteger, <see cref="TensorSpec"/>.
/// </summary>
internal sealed class TestCheckpointWriter
{
    public Dictionary<string, StorageSpec> Storages { get; } = new(StringComparer.Ordinal);

    /// <summary>Legacy view metadata per tensor storage key: (view key, element offset, view size).</summary>
    public Dictionary<string, (string ViewKey, long Offset, long Size)> LegacyViews { get; } = new(StringComparer.Ordinal);

    public byte[] Pickle(object? root, bool legacy)
    {
        var w = new PickleWriter().Proto(2);
        Write(w, root, legacy);
        return w.Stop().ToArray();
    }

    public byte[] Legacy(object? root) => LegacyWith(Pickle(root, legacy: true));

    /// <summary>The legacy format around an already written object pickle.</summary>
    public byte[] LegacyWith(byte[] objectPickle)
    {
        using var output = new MemoryStream();
        output.Write(new PickleWriter().Proto(2).Long(BigInteger.Parse("119547037146038801333356")).Stop().ToArray());
        output.Write(new PickleWriter().Proto(2).Int(1001).Stop().ToArray());
        output.Write(new PickleWriter().Proto(2).EmptyDict().Mark()
            .Str("protocol_version").Int(1001).Str("little_endian").Bool(true)
            .Str("type_sizes").EmptyDict().Mark().Str("short").Int(2).Str("int").Int(4).Str("long").Int(4).SetItems()
            .SetItems().Stop().ToArray());
        output.Write(objectPickle);
        var keys = Storages.Keys.Order(StringComparer.Ordinal).ToList();
        var list = new PickleWriter().Proto(2).EmptyList().Mark();
        foreach (var key in keys) list.Str(key);
        output.Write(list.Appends().Stop().ToArray());
        Span<byte> count = stackalloc byte[8];
        foreach (var key in keys)
        {
            BinaryPrimitives.WriteInt64LittleEndian(count, Storages[key].Numel);
            output.Write(count);
            output.Write(Storages[key].Data);
        }
        return output.ToArray();
    }

    public byte[] Zip(object? root, string archiveName = "archive") => ZipWith(Pickle(root, legacy: false), archiveName);

    /// <summary>The zip format around an already written object pickle.</summary>
    public byte[] ZipWith(byte[] objectPickle, string archiveName = "archive")
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = zip.CreateEntry($"{archiveName}/{name}", CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
            Add("data.pkl", objectPickle);
            Add("byteorder", Encoding.ASCII.GetBytes("little"));
            foreach (var (key, storage) in Storages) Add($"data/{key}", storage.Data);
            Add("version", Encoding.ASCII.GetBytes("3\n"));
        }
        return output.ToArray();
    }

    private void Write(PickleWriter w, object? value, bool legacy)
    {
        switch (value)
        {
            case null: w.None(); break;
            case bool b: w.Bool(b); break;
            case long l: w.Int(l); break;
            case int i: w.Int(i); break;
            case BigInteger big: w.Long(big); break;
            case double d: w.Float(d); break;
            case string s: w.Str(s); break;
            case Dictionary<string, object?> dict:
                w.EmptyDict().Mark();
                foreach (var (k, v) in dict) { w.Str(k); Write(w, v, legacy); }
                w.SetItems();
                break;
            case List<object?> list:
                w.EmptyList().Mark();
                foreach (var item in list) Write(w, item, legacy);
                w.Appends();
                break;
            case object?[] tuple:
                w.Mark();
                foreach (var item in tuple) Write(w, item, legacy);
                w.Tuple();
                break;
            case TensorSpec t:
                var storage = Storages[t.StorageKey];
                w.Global("torch._utils", "_rebuild_tensor_v2").Mark();
                w.Mark().Str("storage").Global(storage.StorageModule, storage.StorageClass).Str(t.StorageKey).Str("cpu").Int(storage.Numel);
                if (legacy)
                {
                    if (LegacyViews.TryGetValue(t.StorageKey, out var view)) w.Mark().Str(view.ViewKey).Int(view.Offset).Int(view.Size).Tuple();
                    else w.None();
                }
                w.Tuple().BinPersId();
                w.Int(t.Offset);
                Write(w, t.Size.Select(x => (object?)x).ToArray(), legacy);
                Write(w, t.Stride.Select(x => (object?)x).ToArray(), legacy);
                w.Bool(false).Global("collections", "OrderedDict").EmptyTuple().Reduce();
                w.Tuple().Reduce();
                break;
            default:
                throw new ArgumentException($"cannot pickle {value.GetType()}");
        }
    }
}
