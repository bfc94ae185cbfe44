namespace MlNetTts.Checkpoints;

/// <summary>
/// What <c>_rebuild_tensor_v2</c> asked for: a strided view of a storage. Legacy files carry storage data after the
/// pickle, so tensors are materialised only once every storage is read; the geometry is validated when recorded.
/// </summary>
internal sealed class TensorPlaceholder(StorageRef storage, long storageOffset, long[] size, long[] stride)
{
    public StorageRef Storage { get; } = storage;

    /// <summary>Offset in elements into <see cref="Storage"/> (which may itself be a view).</summary>
    public long StorageOffset { get; } = storageOffset;

    public long[] Size { get; } = size;

    public long[] Stride { get; } = stride;
}
