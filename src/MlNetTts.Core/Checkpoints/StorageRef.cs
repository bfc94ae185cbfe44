using static TorchSharp.torch;

namespace MlNetTts.Checkpoints;

/// <summary>
/// A storage named by a persistent id: its key, element type and element count. Legacy files may name a view of a
/// root storage (an element offset into it); <see cref="Root"/> is then the storage that owns the data.
/// </summary>
internal sealed class StorageRef
{
    public StorageRef(string key, PickleGlobal type, long numel)
    {
        Key = key;
        Type = type;
        Numel = numel;
        Root = this;
    }

    public StorageRef(StorageRef root, long elementOffset, long numel)
    {
        Key = root.Key;
        Type = root.Type;
        Numel = numel;
        Root = root;
        ElementOffset = elementOffset;
    }

    public string Key { get; }

    public PickleGlobal Type { get; }

    public ScalarType DType => Type.DType;

    public int ElementSize => Type.ElementSize;

    /// <summary>Elements visible through this storage (a view's own size).</summary>
    public long Numel { get; }

    public StorageRef Root { get; }

    /// <summary>Offset, in elements, of this view into <see cref="Root"/>.</summary>
    public long ElementOffset { get; }

    /// <summary>The root storage's data as a 1-D tensor, once read.</summary>
    public Tensor? Data { get; set; }
}
