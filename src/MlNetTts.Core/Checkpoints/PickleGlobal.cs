using static TorchSharp.torch;

namespace MlNetTts.Checkpoints;

/// <summary>
/// An allow-listed Python global as it sits on the unpickler's stack. The reader never looks names up as code:
/// <see cref="Resolve"/> maps an exact (module, name) pair to one of a few behaviours, and anything else is refused.
/// </summary>
internal sealed record PickleGlobal(string Module, string Name, PickleGlobalKind Kind, ScalarType DType = ScalarType.Byte, int ElementSize = 1)
{
    public string FullName => $"{Module}.{Name}";

    private static readonly Dictionary<string, (ScalarType DType, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
        // torch >= 2 writes untyped storages (bytes) as this; torch.load gives them dtype uint8.
        ["UntypedStorage"] = (ScalarType.Byte, 1),
    };

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.Ordinal)
    {
        ["float32"] = ScalarType.Float32, ["float"] = ScalarType.Float32,
        ["float16"] = ScalarType.Float16, ["half"] = ScalarType.Float16,
        ["bfloat16"] = ScalarType.BFloat16,
        ["float64"] = ScalarType.Float64, ["double"] = ScalarType.Float64,
        ["int64"] = ScalarType.Int64, ["long"] = ScalarType.Int64,
        ["int32"] = ScalarType.Int32, ["int"] = ScalarType.Int32,
        ["int16"] = ScalarType.Int16, ["short"] = ScalarType.Int16,
        ["int8"] = ScalarType.Int8,
        ["uint8"] = ScalarType.Byte,
        ["bool"] = ScalarType.Bool,
    };

    /// <summary>The allow-listed global, or null when (module, name) is not allowed.</summary>
    public static PickleGlobal? Resolve(string module, string name)
    {
        PickleGlobal Of(PickleGlobalKind kind) => new(module, name, kind);
        switch (module)
        {
            case "torch._utils":
                return name switch
                {
                    "_rebuild_tensor" => Of(PickleGlobalKind.RebuildTensor),
                    "_rebuild_tensor_v2" => Of(PickleGlobalKind.RebuildTensorV2),
                    "_rebuild_parameter" => Of(PickleGlobalKind.RebuildParameter),
                    "_rebuild_parameter_with_state" => Of(PickleGlobalKind.RebuildParameterWithState),
                    _ => null,
                };
            // PyTorch before 0.4 named GPU storages by their CUDA type; the data is read to the CPU all the same.
            case "torch.cuda" when StorageTypes.TryGetValue(name, out var cudaStorage) && name != "UntypedStorage":
                return new(module, name, PickleGlobalKind.StorageType, cudaStorage.DType, cudaStorage.Size);
            case "collections" when name == "OrderedDict":
                return Of(PickleGlobalKind.OrderedDict);
            case "torch":
                if (StorageTypes.TryGetValue(name, out var storage))
                    return new(module, name, PickleGlobalKind.StorageType, storage.DType, storage.Size);
                if (DTypes.TryGetValue(name, out var dtype)) return new(module, name, PickleGlobalKind.DType, dtype);
                return name switch
                {
                    "Size" => Of(PickleGlobalKind.Size),
                    "device" => Of(PickleGlobalKind.Device),
                    _ => null,
                };
            case "builtins" or "__builtin__":
                return name switch
                {
                    "set" => Of(PickleGlobalKind.Set),
                    "frozenset" => Of(PickleGlobalKind.Set),
                    _ => null,
                };
            // Protocol 2 pickles Python 3 bytes as _codecs.encode(text, 'latin1'); we only ever decode that pair.
            case "_codecs" when name == "encode":
                return Of(PickleGlobalKind.CodecsEncode);
            default:
                return null;
        }
    }
}

internal enum PickleGlobalKind
{
    RebuildTensor,
    RebuildTensorV2,
    RebuildParameter,
    RebuildParameterWithState,
    OrderedDict,
    StorageType,
    DType,
    Size,
    Device,
    Set,
    CodecsEncode,
}
