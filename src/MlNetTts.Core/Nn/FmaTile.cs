using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetTts.Nn;

/// <summary>
/// The float32 micro-kernel shared by <see cref="PointwiseGemm"/> and <see cref="PanelGemm"/>: an 8 x 32 block of
/// y += a x, where a is (depth, 8) packed (the 8 values broadcast at each k) and x is (depth, 32) rows some stride
/// apart. 16 independent vector sums stay in registers; per k, 2 vector loads feed 16 fused multiply-adds.
/// </summary>
internal static unsafe class FmaTile
{
    /// <summary>Rows of a (values broadcast per k) and columns of x (two 16-lane vectors).</summary>
    public const int Rows = 8, Columns = 32;

    private const int Lanes = 16;

    /// <summary>How far ahead <see cref="Accumulate"/> (and <see cref="PanelGemm"/>'s bfloat16 kernel) asks for streamed rows: 8 rows, 1 KB of a packed panel.</summary>
    internal const int PrefetchRows = 8;

    /// <summary>
    /// y[r, 0..32) for r &lt; 8, rows <paramref name="yStride"/> apart, = Σ_k a[k, r] x[k, 0..32) over
    /// <paramref name="depth"/> k-rows (x rows <paramref name="xStride"/> apart), starting from the bias
    /// (<paramref name="loadY"/> false) or from y, plus the bias when <paramref name="addBias"/>. With
    /// <paramref name="streamX"/> each step prefetches the x row <see cref="PrefetchRows"/> ahead: for x read once
    /// from memory (<see cref="PanelGemm"/>'s weight panels), not for x reused from cache (<see cref="PointwiseGemm"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a hot loop from its first call, not tier-0 code
    public static void Accumulate(float* a, float* x, long depth, long xStride, float* y, long yStride, float* bias, bool loadY, bool addBias,
        bool streamX = false)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (!loadY)
        {
            c00 = c01 = Vector512.Create(bias[0]); c10 = c11 = Vector512.Create(bias[1]);
            c20 = c21 = Vector512.Create(bias[2]); c30 = c31 = Vector512.Create(bias[3]);
            c40 = c41 = Vector512.Create(bias[4]); c50 = c51 = Vector512.Create(bias[5]);
            c60 = c61 = Vector512.Create(bias[6]); c70 = c71 = Vector512.Create(bias[7]);
        }
        else
        {
            c00 = Vector512.Load(y); c01 = Vector512.Load(y + Lanes);
            c10 = Vector512.Load(y + yStride); c11 = Vector512.Load(y + yStride + Lanes);
            c20 = Vector512.Load(y + 2 * yStride); c21 = Vector512.Load(y + 2 * yStride + Lanes);
            c30 = Vector512.Load(y + 3 * yStride); c31 = Vector512.Load(y + 3 * yStride + Lanes);
            c40 = Vector512.Load(y + 4 * yStride); c41 = Vector512.Load(y + 4 * yStride + Lanes);
            c50 = Vector512.Load(y + 5 * yStride); c51 = Vector512.Load(y + 5 * yStride + Lanes);
            c60 = Vector512.Load(y + 6 * yStride); c61 = Vector512.Load(y + 6 * yStride + Lanes);
            c70 = Vector512.Load(y + 7 * yStride); c71 = Vector512.Load(y + 7 * yStride + Lanes);
            if (addBias)
            {
                var v = Vector512.Create(bias[0]); c00 += v; c01 += v;
                v = Vector512.Create(bias[1]); c10 += v; c11 += v;
                v = Vector512.Create(bias[2]); c20 += v; c21 += v;
                v = Vector512.Create(bias[3]); c30 += v; c31 += v;
                v = Vector512.Create(bias[4]); c40 += v; c41 += v;
                v = Vector512.Create(bias[5]); c50 += v; c51 += v;
                v = Vector512.Create(bias[6]); c60 += v; c61 += v;
                v = Vector512.Create(bias[7]); c70 += v; c71 += v;
            }
        }
        // Prefetching never faults, so asking past the end of x is harmless.
        long ahead = streamX ? PrefetchRows * xStride : 0;
        for (long i = 0; i < depth; i++, a += Rows, x += xStride)
        {
            if (ahead != 0) { Sse.Prefetch0(x + ahead); Sse.Prefetch0(x + ahead + Lanes); }
            var x0 = Vector512.Load(x);
            var x1 = Vector512.Load(x + Lanes);
            var w = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(w, x0, c00); c01 = Avx512F.FusedMultiplyAdd(w, x1, c01);
            w = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(w, x0, c10); c11 = Avx512F.FusedMultiplyAdd(w, x1, c11);
            w = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(w, x0, c20); c21 = Avx512F.FusedMultiplyAdd(w, x1, c21);
            w = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(w, x0, c30); c31 = Avx512F.FusedMultiplyAdd(w, x1, c31);
            w = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(w, x0, c40); c41 = Avx512F.FusedMultiplyAdd(w, x1, c41);
            w = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(w, x0, c50); c51 = Avx512F.FusedMultiplyAdd(w, x1, c51);
            w = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(w, x0, c60); c61 = Avx512F.FusedMultiplyAdd(w, x1, c61);
            w = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(w, x0, c70); c71 = Avx512F.FusedMultiplyAdd(w, x1, c71);
        }
        Store(y, yStride, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
    }

    /// <summary>Writes an 8 x 32 block: row r is (c_r0, c_r1), rows <paramref name="yStride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* y, long yStride,
        Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11,
        Vector512<float> c20, Vector512<float> c21, Vector512<float> c30, Vector512<float> c31,
        Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51,
        Vector512<float> c60, Vector512<float> c61, Vector512<float> c70, Vector512<float> c71)
    {
        c00.Store(y); c01.Store(y + Lanes);
        c10.Store(y + yStride); c11.Store(y + yStride + Lanes);
        c20.Store(y + 2 * yStride); c21.Store(y + 2 * yStride + Lanes);
        c30.Store(y + 3 * yStride); c31.Store(y + 3 * yStride + Lanes);
        c40.Store(y + 4 * yStride); c41.Store(y + 4 * yStride + Lanes);
        c50.Store(y + 5 * yStride); c51.Store(y + 5 * yStride + Lanes);
        c60.Store(y + 6 * yStride); c61.Store(y + 6 * yStride + Lanes);
        c70.Store(y + 7 * yStride); c71.Store(y + 7 * yStride + Lanes);
    }
}
