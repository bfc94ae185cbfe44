using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// The weights of one product Σ_p x_p W_p^T (each W_p (N, K_p)) copied into the order a batch-1/2 GEMV reads them:
/// panels of 8 output rows, each panel of a term one contiguous run holding every 64-byte column chunk of its 8 rows
/// in turn, stored as bfloat16. Row-major, a panel is 8 rows read side by side: 8 separate streams of
/// 1.5-6 KB, too short for the hardware prefetcher to run ahead of, so the kernel read cache-resident bfloat16
/// weights at 53-82 GB/s against a plain read's 82-148 on the AMD EPYC VM; as panels at 68-104 (gemv-kernels, three
/// runs, docs/performance.md). Packed once per decode, converting float32 weights to bfloat16 on the way exactly as
/// libtorch's cast rounds (so no separate cast is made), into blocks kept for the next decode. Float32 weights stay
/// row-major (as float32 panels they decoded no faster, docs/performance.md), and so does batch 3 and up: there
/// four items' FMAs bound the product, and a 4-row x 4-item panel kernel measured the same (41-45
/// against 43-44 GB/s at batch 4).
/// </summary>
internal sealed unsafe class PanelWeights : IDisposable
{
    /// <summary>Output rows per panel: the kernel keeps one accumulator pair per row and batch item in registers.</summary>
    public const int PanelRows = 8;

    /// <summary>Bytes of one row within a chunk: a cache line, one 512-bit load.</summary>
    public const int ChunkBytes = 64;

    private readonly PooledBlock[] _blocks;

    private PanelWeights(int rows, int[] columns)
    {
        Rows = rows;
        Columns = columns;
        _blocks = new PooledBlock[columns.Length];
        for (int p = 0; p < columns.Length; p++) _blocks[p] = BlockPool.Rent((long)rows * columns[p] * ElementSize);
    }

    /// <summary>N, the output rows (a multiple of <see cref="PanelRows"/>).</summary>
    public int Rows { get; }

    /// <summary>K_p of each term.</summary>
    public int[] Columns { get; }

    /// <summary>Bytes per element (bfloat16).</summary>
    public const int ElementSize = 2;

    /// <summary>Elements of one row within a chunk.</summary>
    public const int ChunkElements = ChunkBytes / ElementSize;

    /// <summary>Bytes of every panel: what one product reads.</summary>
    public long TotalBytes => (long)Rows * Columns.Sum() * ElementSize;

    /// <summary>The first byte of term <paramref name="term"/>'s panel <paramref name="panel"/> (64-byte aligned).</summary>
    public byte* Panel(int term, int panel) =>
        (byte*)_blocks[term].Address + (long)panel * PanelRows * Columns[term] * ElementSize;

    /// <summary>
    /// Whether <see cref="Pack"/> takes these: contiguous 2-D CPU tensors of one dtype (float32 or bfloat16), one N
    /// that is a multiple of <see cref="PanelRows"/>, every K a multiple of <see cref="ChunkElements"/>.
    /// </summary>
    public static bool CanPack(ReadOnlySpan<Tensor> weights)
    {
        if (weights.Length == 0) return false;
        var dtype = weights[0].dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16)) return false;
        long rows = weights[0].dim() == 2 ? weights[0].shape[0] : -1;
        if (rows < PanelRows || rows % PanelRows != 0 || rows > int.MaxValue) return false;
        foreach (var w in weights)
        {
            if (w.device_type != TorchSharp.DeviceType.CPU || w.dtype != dtype || w.dim() != 2 || !w.is_contiguous()) return false;
            if (w.shape[0] != rows || w.shape[1] < 1 || w.shape[1] % ChunkElements != 0 || w.shape[1] > int.MaxValue) return false;
        }
        return true;
    }

    /// <summary>
    /// Copies the weights into panel order (see the type's summary) as bfloat16; float32 ones round to nearest even
    /// as libtorch's cast does. The tensors are only read.
    /// </summary>
    public static PanelWeights Pack(ReadOnlySpan<Tensor> weights)
    {
        if (!CanPack(weights))
            throw new ArgumentException("Panel packing takes contiguous 2-D CPU float32 or bfloat16 weights with one row count (a multiple of 8) and K a multiple of 32 (rows of whole 64-byte bfloat16 chunks).", nameof(weights));
        var columns = new int[weights.Length];
        for (int p = 0; p < weights.Length; p++) columns[p] = (int)weights[p].shape[1];
        var packed = new PanelWeights((int)weights[0].shape[0], columns);
        try
        {
            int panels = packed.Rows / PanelRows;
            for (int p = 0; p < weights.Length; p++)
            {
                bool round = weights[p].dtype == ScalarType.Float32;
                int sourceSize = round ? sizeof(float) : ElementSize;
                long sourceRowBytes = (long)columns[p] * sourceSize, chunkSourceBytes = ChunkElements * sourceSize;
                byte* source = (byte*)TensorMemory.Address(weights[p]);
                for (int panel = 0; panel < panels; panel++)
                {
                    byte* to = packed.Panel(p, panel);
                    byte* from = source + (long)panel * PanelRows * sourceRowBytes;
                    for (long chunk = 0; chunk < sourceRowBytes; chunk += chunkSourceBytes)
                        for (int r = 0; r < PanelRows; r++, to += ChunkBytes)
                        {
                            byte* row = from + r * sourceRowBytes + chunk;
                            if (round) RoundToBFloat16((float*)row, (ushort*)to);
                            else Vector512.Store(Vector512.Load(row), to);
                        }
                }
            }
            return packed;
        }
        catch
        {
            packed.Dispose();
            throw;
        }
    }

    /// <summary>
    /// 32 float32 values to bfloat16 as libtorch's vectorised CPU cast rounds them: to nearest, ties to even (add
    /// 0x7FFF plus the kept part's lowest bit, keep the top half); any NaN becomes 0xFFFF, as that cast writes it.
    /// </summary>
    private static void RoundToBFloat16(float* from, ushort* to)
    {
        var one = Vector512.Create(1u);
        var bias = Vector512.Create(0x7FFFu);
        var nan = Vector512.Create(0xFFFFu);
        for (int half = 0; half < 2; half++)
        {
            var values = Vector512.Load(from + 16 * half);
            var bits = values.AsUInt32();
            var rounded = (bits + bias + ((bits >> 16) & one)) >> 16;
            rounded = Vector512.ConditionalSelect(Vector512.Equals(values, values).AsUInt32(), rounded, nan);
            Avx512F.ConvertToVector256UInt16(rounded).Store(to + 16 * half);
        }
    }

    public void Dispose()
    {
        for (int p = 0; p < _blocks.Length; p++)
        {
            if (_blocks[p].Address != 0) BlockPool.Return(_blocks[p]);
            _blocks[p] = default;
        }
    }

    private readonly record struct PooledBlock(nint Address, long Bytes);

    /// <summary>
    /// Freed panel blocks kept for the next decode, up to <see cref="RetainedLimit"/> bytes: a fresh block's pages
    /// fault in on first touch (~13 us a page on these VMs; packing the default decoder into new memory took
    /// 30-100 ms against 4 ms into reused blocks), and each decode packs the same sizes again.
    /// </summary>
    private static class BlockPool
    {
        private const long RetainedLimit = 256L << 20;
        private static readonly object Gate = new();
        private static readonly List<PooledBlock> Free = [];
        private static long _retained;

        public static PooledBlock Rent(long bytes)
        {
            lock (Gate)
            {
                int found = Free.FindIndex(b => b.Bytes == bytes);
                if (found >= 0)
                {
                    var block = Free[found];
                    Free.RemoveAt(found);
                    _retained -= bytes;
                    return block;
                }
            }
            return new PooledBlock((nint)NativeMemory.AlignedAlloc((nuint)bytes, ChunkBytes), bytes);
        }

        public static void Return(PooledBlock block)
        {
            lock (Gate)
            {
                if (_retained + block.Bytes <= RetainedLimit)
                {
                    Free.Add(block);
                    _retained += block.Bytes;
                    return;
                }
            }
            NativeMemory.AlignedFree((void*)block.Address);
        }
    }
}
