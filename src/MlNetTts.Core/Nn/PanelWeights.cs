using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// The weights of one product Σ_p x_p W_p^T (each W_p (N, K_p), float32 or bfloat16, one dtype) copied into the
/// order a batch-1/2 GEMV reads them: panels of 8 output rows, each panel of a term one contiguous run holding every
/// 64-byte column chunk of its 8 rows in turn. Row-major, a panel is 8 rows read side by side: 8 separate streams of
/// 1.5-6 KB, too short for the hardware prefetcher to run ahead of, so the kernel read cache-resident bfloat16
/// weights at ~50 GB/s against a plain read's ~100 on the AMD EPYC VM (docs/performance.md). Packed once per decode
/// into one heap block per term (each under glibc's 32 MB mmap threshold, which <see cref="NativeHeap"/> sets, so the
/// next decode reuses the pages instead of faulting fresh ones in: ~13 us a page on these VMs); freed on dispose.
/// </summary>
internal sealed unsafe class PanelWeights : IDisposable
{
    /// <summary>Output rows per panel: the kernel keeps one accumulator pair per row and batch item in registers.</summary>
    public const int PanelRows = 8;

    /// <summary>Bytes of one row within a chunk: a cache line, one 512-bit load.</summary>
    public const int ChunkBytes = 64;

    private readonly nint[] _blocks;

    private PanelWeights(int rows, int[] columns, bool bfloat16)
    {
        Rows = rows;
        Columns = columns;
        BFloat16 = bfloat16;
        NativeHeap.RetainFreedMemory();
        _blocks = new nint[columns.Length];
        for (int p = 0; p < columns.Length; p++)
            _blocks[p] = (nint)NativeMemory.Alloc((nuint)((long)rows * columns[p] * ElementSize + ChunkBytes));
    }

    /// <summary>N, the output rows (a multiple of <see cref="PanelRows"/>).</summary>
    public int Rows { get; }

    /// <summary>K_p of each term.</summary>
    public int[] Columns { get; }

    /// <summary>Whether the elements are bfloat16 (otherwise float32).</summary>
    public bool BFloat16 { get; }

    /// <summary>Bytes per element.</summary>
    public int ElementSize => BFloat16 ? 2 : 4;

    /// <summary>Bytes of every panel: what one product reads.</summary>
    public long TotalBytes => (long)Rows * Columns.Sum() * ElementSize;

    /// <summary>The first byte of term <paramref name="term"/>'s panel <paramref name="panel"/> (64-byte aligned).</summary>
    public byte* Panel(int term, int panel)
    {
        // malloc aligns to 16 bytes; the block has a chunk to spare for aligning to a cache line.
        nint start = (_blocks[term] + ChunkBytes - 1) & ~(nint)(ChunkBytes - 1);
        return (byte*)start + (long)panel * PanelRows * Columns[term] * ElementSize;
    }

    /// <summary>
    /// Whether <see cref="Pack"/> takes these: contiguous 2-D CPU tensors of one dtype (float32 or bfloat16), one N
    /// that is a multiple of <see cref="PanelRows"/>, every K a whole number of 64-byte chunks.
    /// </summary>
    public static bool CanPack(ReadOnlySpan<Tensor> weights)
    {
        if (weights.Length == 0) return false;
        var dtype = weights[0].dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16)) return false;
        int elementsPerChunk = ChunkBytes / (dtype == ScalarType.BFloat16 ? 2 : 4);
        long rows = weights[0].dim() == 2 ? weights[0].shape[0] : -1;
        if (rows < PanelRows || rows % PanelRows != 0 || rows > int.MaxValue) return false;
        foreach (var w in weights)
        {
            if (w.device_type != TorchSharp.DeviceType.CPU || w.dtype != dtype || w.dim() != 2 || !w.is_contiguous()) return false;
            if (w.shape[0] != rows || w.shape[1] < 1 || w.shape[1] % elementsPerChunk != 0 || w.shape[1] > int.MaxValue) return false;
        }
        return true;
    }

    /// <summary>Copies the weights into panel order (see the type's summary); the tensors are only read.</summary>
    public static PanelWeights Pack(ReadOnlySpan<Tensor> weights)
    {
        if (!CanPack(weights)) throw new ArgumentException("Panel packing takes contiguous 2-D CPU float32 or bfloat16 weights with one row count (a multiple of 8) and rows of whole 64-byte chunks (bfloat16: K a multiple of 32, float32: of 16).", nameof(weights));
        var columns = new int[weights.Length];
        for (int p = 0; p < weights.Length; p++) columns[p] = (int)weights[p].shape[1];
        var packed = new PanelWeights((int)weights[0].shape[0], columns, weights[0].dtype == ScalarType.BFloat16);
        try
        {
            int panels = packed.Rows / PanelRows;
            for (int p = 0; p < weights.Length; p++)
                for (int panel = 0; panel < panels; panel++)
                {
                    byte* to = packed.Panel(p, panel);
                    long rowBytes = (long)columns[p] * packed.ElementSize;
                    byte* from = (byte*)TensorMemory.Address(weights[p]) + (long)panel * PanelRows * rowBytes;
                    for (long chunk = 0; chunk < rowBytes; chunk += ChunkBytes)
                        for (int r = 0; r < PanelRows; r++, to += ChunkBytes)
                            Buffer.MemoryCopy(from + r * rowBytes + chunk, to, ChunkBytes, ChunkBytes);
                }
            return packed;
        }
        catch
        {
            packed.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        for (int p = 0; p < _blocks.Length; p++)
        {
            if (_blocks[p] != 0) NativeMemory.Free((void*)_blocks[p]);
            _blocks[p] = 0;
        }
    }
}
