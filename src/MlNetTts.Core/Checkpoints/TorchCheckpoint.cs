using System.IO.Compression;
using System.Numerics;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Checkpoints;

/// <summary>
/// A file written by PyTorch's <c>torch.save</c>, read without Python and without executing anything from it.
/// Both formats are read, detected by content: the zip format (PyTorch >= 1.6: <c>NAME/data.pkl</c> plus one
/// record <c>NAME/data/KEY</c> per storage) and the legacy format (NVIDIA's 2019-2020 NGC checkpoints: magic
/// number, protocol version and system info pickles, the object pickle with persistent storage ids, the list of
/// storage keys, then each storage's element count and raw bytes).
/// </summary>
/// <remarks>
/// <para><see cref="Root"/> is the whole unpickled object: dict/OrderedDict -> <c>Dictionary&lt;string, object?&gt;</c>
/// (insertion order kept; int, bool and None keys become their Python <c>str()</c>, e.g. optimizer state's
/// <c>0</c> -> <c>"0"</c>; other key types are refused), list -> <c>List&lt;object?&gt;</c>, tuple and torch.Size ->
/// <c>object?[]</c>, int -> <c>long</c> (<see cref="BigInteger"/> beyond 64 bits), float -> <c>double</c>,
/// str -> <c>string</c>, bytes -> <c>byte[]</c>, bool -> <c>bool</c>, None -> null, set/frozenset ->
/// <c>HashSet&lt;object?&gt;</c>, torch.device -> its string (<c>"cuda:0"</c>), torch dtypes ->
/// <see cref="ScalarType"/>, tensors and parameters -> contiguous CPU <see cref="Tensor"/>s of the saved dtype
/// (float32/16/64, bfloat16, int64/32/16/8, uint8, bool), whatever device they were saved from. Tensors that
/// shared a storage (LSTM weights, views) come back as independent copies.</para>
/// <para>Safety: only an allow-list of globals is recognised (<c>torch._utils._rebuild_tensor</c>,
/// <c>_rebuild_tensor_v2</c>, <c>_rebuild_parameter</c>, <c>_rebuild_parameter_with_state</c>, the
/// <c>torch.*Storage</c> and <c>torch.cuda.*Storage</c> types, torch dtypes, <c>torch.Size</c>, <c>torch.device</c>,
/// <c>collections.OrderedDict</c>, <c>builtins.set/frozenset</c> and <c>_codecs.encode</c> for protocol-2
/// bytes); any other global, e.g. a pickled <c>argparse.Namespace</c>, a whole <c>nn.Module</c> or
/// <c>posix.system</c>, gives a <see cref="ForbiddenGlobalException"/> naming it. Sizes read from the file are
/// checked against the file before anything is allocated, and the tensors built may not exceed
/// <see cref="MaxTensorBytesPerFileByte"/> times the file size (plus <see cref="TensorByteAllowance"/>), so a
/// small file cannot request huge allocations through overlapping views.</para>
/// <para>The checkpoint owns its tensors (they are detached from any dispose scope); <see cref="Dispose"/>
/// frees them all. Copy what you keep (e.g. with <see cref="StateDictLoader.LoadInto"/>).</para>
/// </remarks>
public sealed class TorchCheckpoint : IDisposable
{
    /// <summary>The legacy format's magic number (first pickle of the file).</summary>
    public static readonly BigInteger LegacyMagicNumber = BigInteger.Parse("119547037146038801333356");

    /// <summary>The only legacy protocol version PyTorch ever wrote.</summary>
    public const long LegacyProtocolVersion = 1001;

    /// <summary>Bound on the bytes of all rebuilt tensors, per byte of the file.</summary>
    public const long MaxTensorBytesPerFileByte = 8;

    /// <summary>Bytes of rebuilt tensors allowed on top of <see cref="MaxTensorBytesPerFileByte"/> times the file size.</summary>
    public const long TensorByteAllowance = 64L << 20;

    /// <summary>Largest ratio of a zip record's stated size to its compressed size (deflate's own limit is ~1032).</summary>
    private const long MaxZipExpansion = 1100;

    private readonly List<Tensor> _tensors;
    private IReadOnlyDictionary<string, Tensor>? _stateDict;
    private bool _disposed;

    private TorchCheckpoint(string filePath, bool isZipFormat, object? root, List<Tensor> tensors)
    {
        FilePath = filePath;
        IsZipFormat = isZipFormat;
        Root = root;
        _tensors = tensors;
    }

    /// <summary>The file this was read from.</summary>
    public string FilePath { get; }

    /// <summary>True for the zip format, false for the legacy format.</summary>
    public bool IsZipFormat { get; }

    /// <summary>The whole unpickled object (see the class remarks for the types).</summary>
    public object? Root { get; }

    /// <summary>
    /// The model weights: <c>Root["state_dict"]</c> when present, else <c>Root</c> itself when it is a dict of
    /// tensors, with DistributedDataParallel prefixes removed as NVIDIA's <c>unwrap_distributed</c> does (see
    /// <see cref="UnwrapDistributedKey"/>). When unwrapping maps two keys to one, the later one wins, as in the reference.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The checkpoint holds no dict of tensors there.</exception>
    public IReadOnlyDictionary<string, Tensor> StateDict => _stateDict ??= BuildStateDict();

    /// <summary><c>Root["config"]</c> when it is a dict (nested dicts such as WaveGlow's <c>WN_config</c> kept), else null.</summary>
    public IReadOnlyDictionary<string, object?>? Config =>
        Root is Dictionary<string, object?> root && root.TryGetValue("config", out var config) ? config as Dictionary<string, object?> : null;

    /// <summary>
    /// NVIDIA's <c>unwrap_distributed</c>: <c>key.replace('module.1.', '').replace('module.', '')</c>, i.e. every
    /// occurrence anywhere in the key, in that order.
    /// </summary>
    public static string UnwrapDistributedKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Replace("module.1.", "", StringComparison.Ordinal).Replace("module.", "", StringComparison.Ordinal);
    }

    /// <summary>Reads a checkpoint file of either format.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a checkpoint this reader can read.</exception>
    /// <exception cref="ForbiddenGlobalException">The file names a global outside the allow-list.</exception>
    public static TorchCheckpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Load(stream, path);
    }

    /// <summary>Reads a checkpoint from a seekable stream; <paramref name="name"/> is what errors call it.</summary>
    internal static TorchCheckpoint Load(Stream stream, string name)
    {
        if (!stream.CanSeek || !stream.CanRead) throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        var reader = new Reader(name, stream.Length);
        try
        {
            return reader.Read(stream);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or NotSupportedException or OverflowException
                                  && e is not CheckpointFormatException)
        {
            reader.DisposeAll();
            throw new CheckpointFormatException(name, "the data is corrupt or truncated: " + e.Message, e);
        }
        catch
        {
            reader.DisposeAll();
            throw;
        }
    }

    /// <summary>Frees every tensor of the checkpoint.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _tensors) tensor.Dispose();
        _tensors.Clear();
    }

    private IReadOnlyDictionary<string, Tensor> BuildStateDict()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Root is not Dictionary<string, object?> root)
            throw new CheckpointFormatException(FilePath, $"the checkpoint holds {Unpickler.Describe(Root)}, not a dict with a state dict");
        Dictionary<string, object?> source;
        string where;
        if (root.TryGetValue("state_dict", out var inner))
        {
            source = inner as Dictionary<string, object?>
                ?? throw new CheckpointFormatException(FilePath, $"'state_dict' is {Unpickler.Describe(inner)}, not a dict of tensors");
            where = "'state_dict'";
        }
        else
        {
            source = root;
            where = "the checkpoint (which has no 'state_dict' entry)";
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in source)
        {
            if (value is not Tensor tensor)
                throw new CheckpointFormatException(FilePath, $"{where} is not a dict of tensors: '{key}' is {Unpickler.Describe(value)}");
            result[UnwrapDistributedKey(key)] = tensor;
        }
        return result;
    }

    /// <summary>One read: storages and tensor views met while unpickling, then their data, then the tensors.</summary>
    private sealed class Reader(string path, long fileLength)
    {
        private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);
        private readonly Dictionary<string, StorageRef> _views = new(StringComparer.Ordinal);
        private readonly List<TensorPlaceholder> _placeholders = new();
        private readonly List<Tensor> _tensors = new();
        private readonly long _tensorByteBudget = fileLength > (long.MaxValue - TensorByteAllowance) / MaxTensorBytesPerFileByte
            ? long.MaxValue : fileLength * MaxTensorBytesPerFileByte + TensorByteAllowance;
        private long _tensorBytes;

        private CheckpointFormatException Error(string problem) => new(path, problem);

        public TorchCheckpoint Read(Stream stream)
        {
            if (fileLength == 0) throw Error("the file is empty");
            Span<byte> head = stackalloc byte[4];
            int got = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            stream.Position = 0;
            if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] is 3 or 5 && head[3] is 4 or 6)
                return ReadZip(stream);
            if (head[0] == 0x80) return ReadLegacy(stream);
            if (IsTar(stream)) throw Error("this is PyTorch's pre-1.0 tar checkpoint format, which is not supported");
            throw Error($"it is neither a zip archive nor a pickle stream (it starts with bytes {Convert.ToHexString(head[..got])})");
        }

        public void DisposeAll()
        {
            foreach (var storage in _storages.Values) storage.Data?.Dispose();
            foreach (var tensor in _tensors) tensor.Dispose();
            _tensors.Clear();
        }

        private static bool IsTar(Stream stream)
        {
            if (stream.Length < 262) return false;
            Span<byte> magic = stackalloc byte[5];
            stream.Position = 257;
            stream.ReadExactly(magic);
            return magic.SequenceEqual("ustar"u8);
        }

        private TorchCheckpoint ReadLegacy(Stream stream)
        {
            var input = new PickleInput(stream, path);
            var magic = NewUnpickler(input, null).Load();
            bool magicMatches = magic switch { BigInteger b => b == LegacyMagicNumber, _ => false };
            if (!magicMatches) throw Error($"it starts with a pickle, but not with the legacy format's magic number (got {Unpickler.Describe(magic)})");
            var protocol = NewUnpickler(input, null).Load();
            if (protocol is not LegacyProtocolVersion) throw Error($"legacy protocol version {Unpickler.Describe(protocol)} (expected {LegacyProtocolVersion})");
            var sysInfo = NewUnpickler(input, null).Load() as Dictionary<string, object?>
                ?? throw Error("the legacy system info is not a dict");
            if (sysInfo.TryGetValue("little_endian", out var little) && little is false)
                throw Error("it was written on a big-endian machine, which is not supported");

            var root = NewUnpickler(input, pid => PersistentLoad(pid, legacy: true)).Load();
            var keys = NewUnpickler(input, null).Load() as List<object?> ?? throw Error("the legacy storage key list is not a list");
            foreach (var keyObject in keys)
            {
                if (keyObject is not string key || !_storages.TryGetValue(key, out var storage))
                    throw Error($"the storage key list names {Unpickler.Describe(keyObject)}, which no tensor uses");
                if (storage.Data is not null) throw Error($"storage '{key}' appears twice in the storage key list");
                long numel = input.ReadInt64();
                if (numel != storage.Numel)
                    throw Error($"storage '{key}' has {numel} elements in the data section but {storage.Numel} in the pickle");
                storage.Data = NewStorageTensor(storage, span => input.ReadInto(span));
            }
            foreach (var storage in _storages.Values)
                if (storage.Data is null) throw Error($"storage '{storage.Key}' is used by a tensor but has no data in the file");
            return Finish(root, isZip: false);
        }

        private TorchCheckpoint ReadZip(Stream stream)
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                                                     && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw Error(pickles.Count == 0 ? "the zip archive has no NAME/data.pkl record (not a torch.save file)" : "the zip archive has several NAME/data.pkl records");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];

            var byteOrder = archive.GetEntry(prefix + "byteorder");
            if (byteOrder is not null)
            {
                var order = Encoding.ASCII.GetString(ReadEntry(byteOrder, 16));
                if (order != "little") throw Error($"the byte order record says '{order}'; only little-endian checkpoints are supported");
            }

            using var pickleStream = new MemoryStream(ReadEntry(pickles[0], int.MaxValue), writable: false);
            var root = NewUnpickler(new PickleInput(pickleStream, path), pid => PersistentLoad(pid, legacy: false)).Load();

            foreach (var storage in _storages.Values)
            {
                var name = prefix + "data/" + storage.Key;
                var entry = archive.GetEntry(name) ?? throw Error($"the zip archive has no record '{name}' for a storage the pickle uses");
                long bytes = ByteCount(storage);
                CheckZipEntry(entry, bytes);
                using var data = entry.Open();
                storage.Data = NewStorageTensor(storage, span => data.ReadExactly(span));
            }
            return Finish(root, isZip: true);
        }

        /// <summary>Checks a record can hold <paramref name="bytes"/> and is not a decompression bomb.</summary>
        private void CheckZipEntry(ZipArchiveEntry entry, long bytes)
        {
            if (entry.Length < bytes)
                throw Error($"record '{entry.FullName}' has {entry.Length} bytes, the storage needs {bytes}");
            if (entry.Length > entry.CompressedLength && entry.Length / Math.Max(1, entry.CompressedLength) > MaxZipExpansion)
                throw Error($"record '{entry.FullName}' claims {entry.Length} bytes from {entry.CompressedLength} compressed");
            if (entry.CompressedLength > fileLength) throw Error($"record '{entry.FullName}' is larger than the file");
        }

        private byte[] ReadEntry(ZipArchiveEntry entry, long maxBytes)
        {
            if (entry.Length > maxBytes || entry.Length > Array.MaxLength) throw Error($"record '{entry.FullName}' is too large ({entry.Length} bytes)");
            CheckZipEntry(entry, 0);
            var bytes = new byte[entry.Length];
            using var data = entry.Open();
            data.ReadExactly(bytes);
            return bytes;
        }

        private Unpickler NewUnpickler(PickleInput input, Func<object?[], object?>? persistentLoad) =>
            new(input, persistentLoad, RebuildTensor);

        /// <summary>
        /// torch's persistent_load: <c>('storage', storage_type, key, location, numel)</c>, plus the legacy
        /// format's <c>view_metadata</c> (None, or <c>(view_key, offset, view_size)</c> in files from PyTorch &lt; 0.4).
        /// The location is ignored: everything is read to the CPU.
        /// </summary>
        private StorageRef PersistentLoad(object?[] pid, bool legacy)
        {
            int expected = legacy ? 6 : 5;
            if (pid.Length != expected || pid[0] is not "storage")
                throw Error($"a persistent id of {pid.Length} items starting with {(pid.Length > 0 ? Unpickler.Describe(pid[0]) : "nothing")} (expected ('storage', type, key, location, numel{(legacy ? ", view" : "")}))");
            if (pid[1] is not PickleGlobal { Kind: PickleGlobalKind.StorageType } type)
                throw Error($"a storage whose type is {Unpickler.Describe(pid[1])}");
            if (pid[2] is not string key || pid[3] is not string) throw Error("a storage whose key or location is not a string");
            if (pid[4] is not long numel || numel < 0) throw Error($"storage '{key}' has a size of {Unpickler.Describe(pid[4])}");

            if (_storages.TryGetValue(key, out var root))
            {
                if (root.DType != type.DType) throw Error($"storage '{key}' is used as both {root.DType} and {type.DType}");
                if (root.Numel != numel) throw Error($"storage '{key}' is given both {root.Numel} and {numel} elements");
            }
            else
            {
                root = new StorageRef(key, type, numel);
                long bytes = ByteCount(root);
                if (bytes > fileLength) throw Error($"storage '{key}' of {numel} {type.Name} elements ({bytes} bytes) cannot fit in a file of {fileLength} bytes");
                _storages[key] = root;
            }
            if (!legacy || pid[5] is null) return root;

            if (pid[5] is not object?[] { Length: 3 } view || view[0] is not string viewKey || view[1] is not long offset || view[2] is not long viewSize)
                throw Error($"storage '{key}' has view metadata {Unpickler.Describe(pid[5])} (expected (key, offset, size))");
            if (offset < 0 || viewSize < 0 || offset > root.Numel - viewSize)
                throw Error($"storage view '{viewKey}' [{offset}, {offset}+{viewSize}) lies outside storage '{key}' of {root.Numel} elements");
            if (!_views.TryGetValue(viewKey, out var storageView))
                _views[viewKey] = storageView = new StorageRef(root, offset, viewSize);
            return storageView;
        }

        private long ByteCount(StorageRef storage)
        {
            if (storage.Numel > long.MaxValue / storage.ElementSize) throw Error($"storage '{storage.Key}' has {storage.Numel} elements, too many");
            return storage.Numel * storage.ElementSize;
        }

        /// <summary>Validates a view against its storage and the allocation budget, and records it.</summary>
        private TensorPlaceholder RebuildTensor(StorageRef storage, long offset, long[] size, long[] stride)
        {
            string Shape() => $"size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}], offset {offset}";
            if (size.Length != stride.Length) throw Error($"a tensor of storage '{storage.Key}' with {Shape()}: size and stride differ in length");
            if (size.Length > 64) throw Error($"a tensor of storage '{storage.Key}' has {size.Length} dimensions");
            if (offset < 0) throw Error($"a tensor of storage '{storage.Key}' with {Shape()}: negative offset");
            long numel = 1;
            long lastIndex = offset;
            for (int d = 0; d < size.Length; d++)
            {
                if (size[d] < 0 || stride[d] < 0) throw Error($"a tensor of storage '{storage.Key}' with {Shape()}: negative size or stride");
                numel = size[d] == 0 || numel == 0 ? 0 : numel <= long.MaxValue / size[d] ? numel * size[d] : throw Error($"a tensor with {Shape()} has too many elements");
                if (size[d] > 0)
                {
                    if (stride[d] > 0 && size[d] - 1 > (long.MaxValue - lastIndex) / stride[d])
                        throw Error($"a tensor of storage '{storage.Key}' with {Shape()} reaches past any storage");
                    lastIndex += (size[d] - 1) * stride[d];
                }
            }
            if (numel > 0 && lastIndex >= storage.Numel)
                throw Error($"a tensor of storage '{storage.Key}' with {Shape()} reaches element {lastIndex}, past the storage's {storage.Numel} elements");
            long bytes = numel <= long.MaxValue / storage.ElementSize ? numel * storage.ElementSize : long.MaxValue;
            if (bytes > _tensorByteBudget - _tensorBytes)
                throw Error($"the tensors would need more than {_tensorByteBudget} bytes, implausibly many for a file of {fileLength} bytes (overlapping views)");
            _tensorBytes += bytes;
            var placeholder = new TensorPlaceholder(storage, offset, size, stride);
            _placeholders.Add(placeholder);
            return placeholder;
        }

        /// <summary>A 1-D tensor of the storage's dtype filled by <paramref name="fill"/> with its raw little-endian bytes.</summary>
        private Tensor NewStorageTensor(StorageRef storage, SpanAction fill)
        {
            long bytes = ByteCount(storage);
            if (bytes > int.MaxValue) throw Error($"storage '{storage.Key}' has {bytes} bytes; storages over 2 GiB are not supported");
            var tensor = torch.empty(storage.Numel, storage.DType).DetachFromDisposeScope();
            try
            {
                if (bytes == 0) return tensor;
                var span = tensor.bytes;
                fill(span);
                // Any non-zero byte is True; libtorch expects bools to be exactly 0 or 1.
                if (storage.DType == ScalarType.Bool)
                    for (int i = 0; i < span.Length; i++) span[i] = span[i] != 0 ? (byte)1 : (byte)0;
                return tensor;
            }
            catch
            {
                tensor.Dispose();
                throw;
            }
        }

        private delegate void SpanAction(Span<byte> span);

        /// <summary>Builds every tensor as a contiguous copy of its view, and puts it where its placeholder was.</summary>
        private TorchCheckpoint Finish(object? root, bool isZip)
        {
            var built = new Dictionary<TensorPlaceholder, Tensor>(ReferenceEqualityComparer.Instance);
            using (NewDisposeScope())
            {
                foreach (var p in _placeholders)
                {
                    var storage = p.Storage.Root.Data!;
                    var tensor = torch.empty(p.Size, p.Storage.DType);
                    if (tensor.numel() > 0)
                        tensor.copy_(storage.as_strided(p.Size, p.Stride, p.Storage.ElementOffset + p.StorageOffset));
                    tensor.DetachFromDisposeScope();
                    _tensors.Add(tensor);
                    built[p] = tensor;
                }
            }
            foreach (var storage in _storages.Values)
            {
                storage.Data?.Dispose();
                storage.Data = null;
            }
            root = Substitute(root, built);
            var tensors = new List<Tensor>(_tensors);
            _tensors.Clear();
            return new TorchCheckpoint(path, isZip, root, tensors);
        }

        /// <summary>Replaces placeholders by tensors throughout the object graph (iteratively: it may be deep or cyclic).</summary>
        private static object? Substitute(object? root, Dictionary<TensorPlaceholder, Tensor> built)
        {
            if (root is TensorPlaceholder top) return built[top];
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var pending = new Stack<object>();
            if (root is not null) pending.Push(root);
            object? Visit(object? value)
            {
                if (value is TensorPlaceholder p) return built[p];
                if (value is Dictionary<string, object?> or List<object?> or object?[] or HashSet<object?>) pending.Push(value);
                return value;
            }
            while (pending.Count > 0)
            {
                var container = pending.Pop();
                if (!seen.Add(container)) continue;
                switch (container)
                {
                    case Dictionary<string, object?> dict:
                        foreach (var key in dict.Keys.ToList()) dict[key] = Visit(dict[key]);
                        break;
                    case List<object?> list:
                        for (int i = 0; i < list.Count; i++) list[i] = Visit(list[i]);
                        break;
                    case object?[] tuple:
                        for (int i = 0; i < tuple.Length; i++) tuple[i] = Visit(tuple[i]);
                        break;
                    case HashSet<object?> set:
                        foreach (var item in set) Visit(item); // sets only hold plain values and tuples
                        break;
                }
            }
            return root;
        }
    }
}
