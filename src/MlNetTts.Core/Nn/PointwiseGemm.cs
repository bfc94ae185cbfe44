using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// Float32 y (B, M, N) = W (M, K) x (B, K, N) + bias on CPU: a pointwise (1x1) convolution over a long time axis,
/// the shape of every large product in WaveGlow inference (M = 512, K = 256-768, N = 6,400 for a 200-frame mel).
/// Compute-bound: oneDNN's 1x1 convolution reaches ~75% of this machine's FMA peak there (suite compute-peak). W is
/// packed once (per inference) into 8-row panels; each 8 x 32 output tile keeps 16 vector sums in registers and
/// copies a block of 128 k-rows of its 32-column slice of x (16 KB) into contiguous rows, which stay in L1 while every row panel passes over them.
/// </summary>
internal static unsafe class PointwiseGemm
{
    /// <summary>Rows per packed panel and columns per tile.</summary>
    public const int Rows = FmaTile.Rows, Columns = FmaTile.Columns;

    // 128 k-rows per block (a 16 KB slice of x): on AMD 64-768 measured within noise of each other except 384; on the
    // Intel VM, with the slice copied, 128 gave 163-181 GFLOP/s against 134-166 for 256 and 131-155 for 64
    // (suite compute-peak, 2026-12-05/06).
    private const int KBlock = 128;

    /// <summary>Off: callers use libtorch (tests and benchmarks compare both).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether the kernel runs here (AVX-512F) and is switched on.</summary>
    public static bool IsSupported => Enabled && Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Whether W (M, K) can be packed: M a multiple of <see cref="Rows"/>.</summary>
    public static bool CanPack(Tensor w) => w.dtype == ScalarType.Float32 && w.device_type == TorchSharp.DeviceType.CPU
        && (w.dim() == 2 || (w.dim() == 3 && w.shape[2] == 1)) && w.shape[0] % Rows == 0;

    /// <summary>W (M, K) or (M, K, 1) float32 as (M/8, K, 8): [p, k, r] = W[8p + r, k].</summary>
    public static Tensor Pack(Tensor w)
    {
        if (!CanPack(w)) throw new ArgumentException($"PointwiseGemm.Pack needs float32 (M, K) with M a multiple of {Rows}; got {w.dtype} [{string.Join(", ", w.shape)}].", nameof(w));
        long m = w.shape[0], k = w.shape[1];
        return w.reshape(m / Rows, Rows, k).permute(0, 2, 1).contiguous();
    }

    /// <summary>Whether products over <paramref name="steps"/> columns suit the kernel (a multiple of 32).</summary>
    public static bool TakesSteps(long steps) => IsSupported && steps > 0 && steps % Columns == 0;

    /// <summary>Whether x (B, K, N) suits the kernel: contiguous float32 CPU with N a multiple of 32.</summary>
    public static bool Accepts(Tensor x, Tensor packed) =>
        IsSupported && x.dtype == ScalarType.Float32 && x.device_type == TorchSharp.DeviceType.CPU && x.dim() == 3
        && x.is_contiguous() && x.shape[2] % Columns == 0 && x.shape[1] == packed.shape[1];

    /// <summary>y (B, M, N) = W x + bias with W from <see cref="Pack"/>; N split between up to <paramref name="threads"/> workers.</summary>
    public static Tensor Multiply(Tensor x, Tensor packed, Tensor? bias, int threads)
    {
        CheckInput(x, packed);
        var y = empty(x.shape[0], packed.shape[0] * Rows, x.shape[2]);
        Run(x, packed, 0, packed.shape[0] * Rows, bias, y, accumulate: false, threads);
        return y;
    }

    /// <summary>
    /// <paramref name="destination"/> (B, rows, N) += W[rows from..to) x + bias[from..to): the product of some of W's rows
    /// added in place (a residual or a running sum) without a temporary. <paramref name="from"/> and <paramref name="to"/>
    /// are multiples of 8; the destination is contiguous.
    /// </summary>
    public static void MultiplyAdd(Tensor x, Tensor packed, long from, long to, Tensor? bias, Tensor destination, int threads)
    {
        CheckInput(x, packed);
        if (from % Rows != 0 || to % Rows != 0 || from < 0 || to > packed.shape[0] * Rows || from >= to)
            throw new ArgumentException($"PointwiseGemm.MultiplyAdd: rows [{from}, {to}) must be multiples of {Rows} within {packed.shape[0] * Rows}.", nameof(from));
        if (destination.dtype != ScalarType.Float32 || destination.dim() != 3 || destination.shape[0] != x.shape[0] || destination.shape[1] != to - from
            || destination.shape[2] != x.shape[2] || !destination.is_contiguous())
            throw new ArgumentException($"PointwiseGemm.MultiplyAdd: the destination must be contiguous float32 (B={x.shape[0]}, {to - from}, N={x.shape[2]}); got {destination.dtype} [{string.Join(", ", destination.shape)}].", nameof(destination));
        Run(x, packed, from, to, bias, destination, accumulate: true, threads);
    }

    private static void CheckInput(Tensor x, Tensor packed)
    {
        if (!Accepts(x, packed)) throw new ArgumentException($"PointwiseGemm needs contiguous float32 (B, K={packed.shape[1]}, N) with N a multiple of {Columns}; got {x.dtype} [{string.Join(", ", x.shape)}].", nameof(x));
    }

    private static void Run(Tensor x, Tensor packed, long from, long to, Tensor? bias, Tensor y, bool accumulate, int threads)
    {
        long batch = x.shape[0], k = x.shape[1], n = x.shape[2], m = packed.shape[0] * Rows;
        long firstPanel = from / Rows, panels = (to - from) / Rows, itemStride = (to - from) * n;
        using var bias32 = bias is null ? zeros(m) : bias.to(ScalarType.Float32).contiguous();
        nint xp = TensorMemory.Address(x), ap = TensorMemory.Address(packed), yp = TensorMemory.Address(y), bp = TensorMemory.Address(bias32);
        long tilesPerItem = n / Columns, tiles = batch * tilesPerItem;
        int parts = (int)Math.Clamp(threads, 1, tiles);
        // Contiguous ranges of column tiles per worker: each walks the packed W block by block for its own columns.
        long chunk = (tiles + parts - 1) / parts;
        // Each worker copies its (KBlock, 32) slice of x into its own contiguous rows before the row panels pass over it:
        // read in place, x's rows lie N floats apart (25.6 KB for a 200-frame mel), a stride that folds the slice's
        // cache lines onto 8 of L1's 64 sets, so every pass re-read them from L2. Same-run A/B on the Intel VM
        // (compute-peak): 132-140 GFLOP/s in place, 158-209 copied; waveglow-infer fp32 4,818-5,590 -> 7,115-7,781 samples/s.
        float* scratch = (float*)NativeMemory.AlignedAlloc((nuint)(parts * KBlock * Columns * sizeof(float)), 64);
        try
        {
            KernelWorkers.Run(parts, part =>
            {
                float* slice = scratch + (long)part * KBlock * Columns;
                long start = Math.Min(tiles, part * chunk), end = Math.Min(tiles, start + chunk);
                for (long tile = start; tile < end; tile++)
                {
                    long b = tile / tilesPerItem, column = tile % tilesPerItem * Columns;
                    float* xb = (float*)xp + b * k * n + column;
                    float* yb = (float*)yp + b * itemStride + column;
                    for (long k0 = 0; k0 < k; k0 += KBlock)
                    {
                        long depth = Math.Min(KBlock, k - k0);
                        CopySlice(xb + k0 * n, n, depth, slice);
                        for (long p = 0; p < panels; p++)
                        {
                            long panel = firstPanel + p;
                            if (p + 1 < panels)
                            {
                                // The next panel's block starts K*32 bytes on, a new stream the hardware prefetcher
                                // would only find after its first misses: ask for its first 1 KB now (Intel VM, compute-peak,
                                // 9 rows each way in turns: 146 -> 162 GFLOP/s on average).
                                byte* next = (byte*)((float*)ap + ((panel + 1) * k + k0) * Rows);
                                for (int line = 0; line < 1024; line += 64) Sse.Prefetch1(next + line);
                            }
                            FmaTile.Accumulate((float*)ap + (panel * k + k0) * Rows, slice, depth, Columns, yb + p * Rows * n, n, (float*)bp + panel * Rows,
                                loadY: k0 > 0 || accumulate, addBias: k0 == 0);
                        }
                    }
                }
            });
        }
        finally
        {
            NativeMemory.AlignedFree(scratch);
        }
    }

    /// <summary>Rows [0, depth) of a 32-column slice, <paramref name="stride"/> floats apart, into contiguous rows.</summary>
    private static void CopySlice(float* x, long stride, long depth, float* slice)
    {
        for (long i = 0; i < depth; i++, x += stride, slice += Columns)
        {
            Vector512.Load(x).Store(slice);
            Vector512.Load(x + 16).Store(slice + 16);
        }
    }
}
