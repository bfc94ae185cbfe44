using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// y (B, N) = x (B, K) Wᵀ for B &lt;= 8 against weights packed once into 32-column panels, float32 or bfloat16,
/// float32 accumulation. Made for the per-step LSTM products of teacher-forced training (batch 8, the same weights
/// for all 400 decoder steps, forward and backward): there libtorch's float32 product reads the weights at ~8 GB/s
/// and its bfloat16 one (oneDNN) at ~18, and <see cref="SmallBatchGemv"/>'s dot-product form, which reloads its
/// activations for every 4 weight rows, at ~20-26 (benchmark suite <c>training-products</c>). Here each step of k
/// loads one 32-wide slice of the panel (contiguous, so the weights stream from memory in order) and broadcasts the 8
/// items' x[k] against it: 16 independent accumulators, 2 weight loads per 16 fused multiply-adds.
/// A bfloat16 panel stores each column's (k, k+1) pair in one 32-bit lane, widened exactly by a shift and a mask.
/// </summary>
internal static unsafe class PanelGemm
{
    /// <summary>Output columns per panel (two 16-lane vectors).</summary>
    public const int Width = FmaTile.Columns;

    /// <summary>The largest batch (the kernel keeps one pair of accumulators per item).</summary>
    public const int MaxBatch = FmaTile.Rows;

    private const int Lanes = 16;

    [ThreadStatic] private static float[]? _scratch;

    // The float32 panels go through FmaTile (x as the broadcast side, the panel as its rows), which starts from a bias.
    private static readonly float* NoBias = (float*)NativeMemory.AllocZeroed(FmaTile.Rows * sizeof(float));

    /// <summary>Whether this CPU runs the kernel (AVX-512F).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Whether <see cref="Pack"/> takes an (N, K) matrix: N a multiple of <see cref="Width"/>, K even.</summary>
    public static bool CanPack(long n, long k) => n > 0 && n % Width == 0 && k > 0 && k % 2 == 0;

    /// <summary>
    /// W (N, K), float32 or bfloat16, as N/32 panels for <see cref="Multiply"/>: float32 (N/32, K, 32) with
    /// [p, k, j] = W[32p + j, k]; bfloat16 (N/32, K/2, 32, 2) with [p, i, j, e] = W[32p + j, 2i + e].
    /// </summary>
    public static Tensor Pack(Tensor w)
    {
        long n = w.shape[0], k = w.shape[1];
        if (!CanPack(n, k)) throw new ArgumentException($"PanelGemm.Pack needs (N, K) with N a multiple of {Width} and K even; got ({n}, {k}).", nameof(w));
        return w.dtype == ScalarType.BFloat16
            ? w.reshape(n / Width, Width, k / 2, 2).permute(0, 2, 1, 3).contiguous()
            : w.reshape(n / Width, Width, k).permute(0, 2, 1).contiguous();
    }

    /// <summary>
    /// Wᵀ (K, N) packed as <see cref="Pack"/> would pack it, straight from W (N, K): the panels of the backward
    /// product g W. Float32 (K/32, N, 32) with [p, n, j] = W[n, 32p + j]; bfloat16 (K/32, N/2, 32, 2) with
    /// [p, i, j, e] = W[2i + e, 32p + j]. Needs K a multiple of 32 and N even.
    /// </summary>
    public static Tensor PackTransposed(Tensor w)
    {
        long n = w.shape[0], k = w.shape[1];
        if (!CanPack(k, n)) throw new ArgumentException($"PanelGemm.PackTransposed needs (N, K) with K a multiple of {Width} and N even; got ({n}, {k}).", nameof(w));
        return w.dtype == ScalarType.BFloat16
            ? w.reshape(n / 2, 2, k / Width, Width).permute(2, 0, 3, 1).contiguous()
            : w.reshape(n, k / Width, Width).permute(1, 0, 2).contiguous();
    }

    /// <summary>
    /// x (B, K) float32, B &lt;= 8, times the packed weights: (B, N) float32. Panels are split between up to
    /// <paramref name="threads"/> workers (the caller is one).
    /// </summary>
    public static Tensor Multiply(Tensor x, Tensor packed, int threads)
    {
        if (x.dtype != ScalarType.Float32 || x.dim() != 2 || x.shape[0] < 1 || x.shape[0] > MaxBatch)
            throw new ArgumentException($"PanelGemm.Multiply needs x float32 (B <= {MaxBatch}, K); got {x.dtype} [{string.Join(", ", x.shape)}].", nameof(x));
        bool bf16 = packed.dtype == ScalarType.BFloat16;
        long panels = packed.shape[0];
        long k = bf16 ? packed.shape[1] * 2 : packed.shape[1];
        if (k != x.shape[1]) throw new ArgumentException($"PanelGemm.Multiply: x has K = {x.shape[1]}, the packed weights {k}.", nameof(x));
        int batch = (int)x.shape[0];
        long n = panels * Width;

        // x as (K, 8): the 8 items' x[k] side by side, items past the batch zero (their sums are dropped). One
        // pinned array per thread, reused by every call (a call finishes before the thread's next).
        if (_scratch is null || _scratch.Length < k * MaxBatch) _scratch = GC.AllocateArray<float>((int)(k * MaxBatch), pinned: true);
        var xt = _scratch;
        if (batch < MaxBatch) Array.Clear(xt, 0, (int)(k * MaxBatch));
        using (var contiguous = x.is_contiguous() ? null : x.contiguous())
        {
            var source = MemoryMarshal.Cast<byte, float>((contiguous ?? x).bytes);
            for (int b = 0; b < batch; b++)
                for (long i = 0; i < k; i++)
                    xt[i * MaxBatch + b] = source[(int)(b * k + i)];
        }

        // The kernels write all 8 rows; rows past the batch are dropped by the view returned.
        var y = empty(MaxBatch, n, dtype: ScalarType.Float32);
        nint yAddress = TensorMemory.Address(y), wAddress = TensorMemory.Address(packed);
        fixed (float* xp = xt)
        {
            nint xAddress = (nint)xp;
            long bytesPerPanel = k * Width * (bf16 ? 2 : 4);
            int parts = (int)Math.Clamp(Math.Min(threads, panels * bytesPerPanel / (1L << 20)), 1, panels);
            long chunk = (panels + parts - 1) / parts;
            KernelWorkers.Run(parts, part =>
            {
                long from = Math.Min(panels, part * chunk), to = Math.Min(panels, from + chunk);
                for (long p = from; p < to; p++)
                {
                    if (bf16) PanelBFloat16((ushort*)wAddress + p * k * Width, (float*)xAddress, k, (float*)yAddress + p * Width, n);
                    else FmaTile.Accumulate((float*)xAddress, (float*)wAddress + p * k * Width, k, Width, (float*)yAddress + p * Width, n, NoBias, loadY: false, addBias: false, streamX: true);
                }
            });
        }
        if (batch == MaxBatch) return y;
        using (y) return y.narrow(0, 0, batch);
    }

    /// <summary>One bfloat16 panel: (K/2, 32) lanes of (k, k+1) pairs at <paramref name="w"/>, x as (K, 8); 8 rows of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a hot loop from its first call, not tier-0 code
    private static void PanelBFloat16(ushort* w, float* x, long k, float* y, long n)
    {
        var a0 = Vector512<float>.Zero; var b0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero; var b1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var b2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero; var b3 = Vector512<float>.Zero;
        var a4 = Vector512<float>.Zero; var b4 = Vector512<float>.Zero;
        var a5 = Vector512<float>.Zero; var b5 = Vector512<float>.Zero;
        var a6 = Vector512<float>.Zero; var b6 = Vector512<float>.Zero;
        var a7 = Vector512<float>.Zero; var b7 = Vector512<float>.Zero;
        var highHalf = Vector512.Create(0xFFFF0000u);
        for (long i = 0; i < k; i += 2, w += 2 * Width, x += 2 * MaxBatch)
        {
            // The panel streams from memory once: ask for the lanes FmaTile.PrefetchRows steps ahead, as the float32
            // kernel does (1 KB; harmless past its end).
            Sse.Prefetch0(w + FmaTile.PrefetchRows * 2 * Width);
            Sse.Prefetch0(w + FmaTile.PrefetchRows * 2 * Width + 2 * Lanes);
            // Lane j holds column j's (k, k+1) pair: k in the low 16 bits (shifted up it is that float32 exactly),
            // k+1 in the high 16 bits (the low half masked off).
            var pairsLo = Vector512.Load((uint*)w);
            var pairsHi = Vector512.Load((uint*)w + Lanes);
            var evenLo = Vector512.ShiftLeft(pairsLo, 16).AsSingle();
            var evenHi = Vector512.ShiftLeft(pairsHi, 16).AsSingle();
            var oddLo = (pairsLo & highHalf).AsSingle();
            var oddHi = (pairsHi & highHalf).AsSingle();
            var e = Vector512.Create(x[0]); var o = Vector512.Create(x[MaxBatch + 0]);
            a0 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a0)); b0 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b0));
            e = Vector512.Create(x[1]); o = Vector512.Create(x[MaxBatch + 1]);
            a1 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a1)); b1 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b1));
            e = Vector512.Create(x[2]); o = Vector512.Create(x[MaxBatch + 2]);
            a2 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a2)); b2 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b2));
            e = Vector512.Create(x[3]); o = Vector512.Create(x[MaxBatch + 3]);
            a3 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a3)); b3 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b3));
            e = Vector512.Create(x[4]); o = Vector512.Create(x[MaxBatch + 4]);
            a4 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a4)); b4 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b4));
            e = Vector512.Create(x[5]); o = Vector512.Create(x[MaxBatch + 5]);
            a5 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a5)); b5 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b5));
            e = Vector512.Create(x[6]); o = Vector512.Create(x[MaxBatch + 6]);
            a6 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a6)); b6 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b6));
            e = Vector512.Create(x[7]); o = Vector512.Create(x[MaxBatch + 7]);
            a7 = Avx512F.FusedMultiplyAdd(oddLo, o, Avx512F.FusedMultiplyAdd(evenLo, e, a7)); b7 = Avx512F.FusedMultiplyAdd(oddHi, o, Avx512F.FusedMultiplyAdd(evenHi, e, b7));
        }
        FmaTile.Store(y, n, a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7);
    }
}
