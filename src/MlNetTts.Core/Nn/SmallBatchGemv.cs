using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// Matrix-vector products for inference at batch 1-8 on CPU, reading float32 or bfloat16 weights once per call at
/// close to memory bandwidth. Autoregressive decoding at small batch is a chain of such products whose weights
/// (~73 MB fp32 in Tacotron 2's decoder) stream from DRAM every step; libtorch 2.10's kernels for a (1, K) x (K, N)
/// product read them at 15-23 GB/s here (bf16 linear 15-21 GB/s), against ~31-36 GB/s a plain sum reaches
/// (the gemv-kernels benchmark suite). Accumulation is float32 (fused multiply-add over 16-lane vectors), as
/// oneDNN's bf16 kernels accumulate; activations stay float32 rather than being rounded to bfloat16 first.
/// Only for inference: there is no autograd graph, so callers take this path only when gradients are off.
/// Row-major weights go through <see cref="LinearSum"/> / <see cref="LinearSumInto"/>; weights packed once as
/// <see cref="PanelWeights"/> (the decoder's bfloat16 LSTM matrices at batch 1-2) through <see cref="PanelSumInto"/>.
/// </summary>
internal static unsafe class SmallBatchGemv
{
    /// <summary>The largest batch the kernel takes; beyond it a GEMM is compute- rather than bandwidth-bound.</summary>
    public const int MaxBatch = 8;

    /// <summary>Whether this CPU runs the kernel (AVX-512F); otherwise callers use libtorch.</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Off routes everything to libtorch, so benchmarks and tests compare both paths in one process. Process-wide;
    /// do not flip it while another thread decodes.
    /// </summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Rows handed to each worker are a multiple of this (whole cache lines of the output, 4-row blocks).</summary>
    private const int RowBlock = 16;

    private const long MinBytesPerWorker = 1L << 17;

    [ThreadStatic] private static float[]? _scratch;

    /// <summary>One (x, W) pair of a sum: x (B, K) float32, W (N, K) row-major float32 or bfloat16.</summary>
    private readonly struct Term(nint x, nint w, int k, bool bf16, nint split)
    {
        public readonly nint X = x;
        public readonly nint W = w;
        public readonly int K = k;
        public readonly bool BFloat16 = bf16;

        /// <summary>For bfloat16 weights: x of each batch item as [even elements | odd elements] (K/2 each).</summary>
        public readonly nint Split = split;
    }

    /// <summary>
    /// Whether <see cref="LinearSum"/> can take these operands: CPU, no gradient needed, x float32 (B &lt;= 8, K),
    /// weights contiguous (N, K) float32 or bfloat16 with one N, biases (N) float32 or bfloat16.
    /// </summary>
    public static bool Accepts(ReadOnlySpan<(Tensor X, Tensor W, Tensor? Bias)> terms)
    {
        if (!Enabled || !IsSupported || terms.Length == 0) return false;
        long batch = terms[0].X.dim() == 2 ? terms[0].X.shape[0] : -1, n = terms[0].W.dim() == 2 ? terms[0].W.shape[0] : -1;
        if (batch < 1 || batch > MaxBatch || n < 1 || n > int.MaxValue) return false;
        foreach (var (x, w, bias) in terms)
        {
            if (x.device_type != TorchSharp.DeviceType.CPU || w.device_type != TorchSharp.DeviceType.CPU) return false;
            if (Cast.NeedsGradient(x, w, bias)) return false;
            if (x.dtype != ScalarType.Float32 || x.dim() != 2 || x.shape[0] != batch) return false;
            if (w.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || w.dim() != 2 || w.shape[0] != n || w.shape[1] != x.shape[1] || !w.is_contiguous()) return false;
            if (bias is not null && (bias.device_type != TorchSharp.DeviceType.CPU || bias.dim() != 1 || bias.shape[0] != n
                || bias.dtype is not (ScalarType.Float32 or ScalarType.BFloat16))) return false;
        }
        return true;
    }

    /// <summary>
    /// y (B, N) float32 = Σ_p x_p W_p^T + Σ_p b_p, for operands <see cref="Accepts"/> took. Rows are split over
    /// <paramref name="threads"/> workers (the calling thread is one of them).
    /// </summary>
    public static Tensor LinearSum(ReadOnlySpan<(Tensor X, Tensor W, Tensor? Bias)> terms, int threads)
    {
        int batch = (int)terms[0].X.shape[0], rows = (int)terms[0].W.shape[0];
        var y = empty(batch, rows, dtype: ScalarType.Float32);
        var keep = new List<Tensor>(terms.Length);
        int splitOffset = 0;
        try
        {
            // One pinned scratch array per thread holds the split activations, reused by every call (a call
            // finishes before the thread's next); sized before any address into it is taken.
            long scratch = 0;
            foreach (var (x, w, _) in terms)
                if (w.dtype == ScalarType.BFloat16) scratch += x.numel();
            EnsureScratch(scratch);
            var packed = new Term[terms.Length];
            for (int p = 0; p < terms.Length; p++)
            {
                var x = terms[p].X.is_contiguous() ? terms[p].X : Keep(keep, terms[p].X.contiguous());
                int k = (int)x.shape[1];
                bool bf16 = terms[p].W.dtype == ScalarType.BFloat16;
                packed[p] = new Term(TensorMemory.Address(x), TensorMemory.Address(terms[p].W), k, bf16, bf16 ? SplitEvenOdd(MemoryMarshal.Cast<byte, float>(x.bytes), batch, k, ref splitOffset) : 0);
            }
            var bias = new float[rows];
            foreach (var (_, _, b) in terms)
            {
                if (b is null) continue;
                var b32 = b.dtype == ScalarType.Float32 && b.is_contiguous() ? b : Keep(keep, b.to(ScalarType.Float32).contiguous());
                var values = MemoryMarshal.Cast<byte, float>(b32.bytes);
                for (int n = 0; n < rows; n++) bias[n] += values[n];
            }

            long weightBytes = 0;
            foreach (var (_, w, _) in terms) weightBytes += w.numel() * w.element_size();
            Dispatch(packed, bias, (float*)TensorMemory.Address(y), batch, rows, weightBytes, threads);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in keep) t.Dispose();
        }
    }

    /// <summary>One (x, W) pair for <see cref="LinearSumInto"/>: x (B, K) float32 and W (N, K) float32 or bfloat16, row-major, at these addresses.</summary>
    internal readonly record struct RawTerm(nint X, nint W, int K, bool BFloat16);

    /// <summary>
    /// y (B, N) = Σ_p x_p W_p^T + bias over raw row-major buffers that stay pinned for the call (the C# decoder loop
    /// keeps its activations in its own arrays); same kernel and row split as <see cref="LinearSum"/>.
    /// </summary>
    internal static void LinearSumInto(ReadOnlySpan<RawTerm> terms, float[] bias, float* y, int batch, int threads)
    {
        Debug.Assert(IsSupported && terms.Length > 0 && batch is >= 1 and <= MaxBatch);
        int rows = bias.Length;
        long scratch = 0, weightBytes = 0;
        foreach (var t in terms)
        {
            if (t.BFloat16) scratch += (long)batch * t.K;
            weightBytes += (long)rows * t.K * (t.BFloat16 ? 2 : 4);
        }
        EnsureScratch(scratch);
        var packed = new Term[terms.Length];
        int splitOffset = 0;
        for (int p = 0; p < terms.Length; p++)
        {
            var t = terms[p];
            var x = new ReadOnlySpan<float>((float*)t.X, batch * t.K);
            packed[p] = new Term(t.X, t.W, t.K, t.BFloat16, t.BFloat16 ? SplitEvenOdd(x, batch, t.K, ref splitOffset) : 0);
        }
        Dispatch(packed, bias, y, batch, rows, weightBytes, threads);
    }

    /// <summary>
    /// y (B, N) = Σ_p x_p W_p^T + bias for weights packed as <see cref="PanelWeights"/> and batch 1-2: each worker
    /// streams its panels front to back. <paramref name="inputs"/> are x_p (B, K_p) row-major float32, pinned for
    /// the call.
    /// </summary>
    internal static void PanelSumInto(PanelWeights weights, ReadOnlySpan<nint> inputs, float[] bias, float* y, int batch, int threads)
    {
        Debug.Assert(IsSupported && batch is 1 or 2 && inputs.Length == weights.Columns.Length && bias.Length == weights.Rows);
        long scratch = 0;
        foreach (int k in weights.Columns) scratch += (long)batch * k;
        EnsureScratch(scratch);
        var xs = new nint[inputs.Length];
        int splitOffset = 0;
        for (int p = 0; p < inputs.Length; p++)
        {
            int k = weights.Columns[p];
            xs[p] = SplitEvenOdd(new ReadOnlySpan<float>((float*)inputs[p], batch * k), batch, k, ref splitOffset);
        }

        int panels = weights.Rows / PanelWeights.PanelRows;
        int parts = Workers(threads, weights.TotalBytes, panels);
        nint output = (nint)y;
        if (parts == 1)
        {
            Panels(weights, xs, bias, output, batch, 0, panels);
            return;
        }
        KernelWorkers.Run(parts, part => Panels(weights, xs, bias, output, batch, (int)((long)panels * part / parts), (int)((long)panels * (part + 1) / parts)));
    }

    /// <summary>Panels [from, to) of a <see cref="PanelSumInto"/> product.</summary>
    private static void Panels(PanelWeights weights, nint[] xs, float[] bias, nint y, int batch, int from, int to)
    {
        const int rows = PanelWeights.PanelRows;
        float* yp = (float*)y;
        Span<float> sums = stackalloc float[rows * 2];
        for (int panel = from; panel < to; panel++)
        {
            sums.Clear();
            for (int p = 0; p < xs.Length; p++)
            {
                byte* w = weights.Panel(p, panel);
                int k = weights.Columns[p];
                float* x = (float*)xs[p];
                if (batch == 1) PanelBFloat16(w, x, k, sums);
                else PanelBFloat16x2(w, x, x + k, k, sums);
            }
            int row = panel * rows;
            for (int b = 0; b < batch; b++)
                for (int r = 0; r < rows; r++)
                    yp[(long)b * weights.Rows + row + r] = sums[b * rows + r] + bias[row + r];
        }
    }

    /// <summary>
    /// One term of one bfloat16 panel against one item (x split even/odd, see <see cref="SplitEvenOdd"/>): per chunk
    /// eight 64-byte rows, 16 independent sums; adds row r's sum to <paramref name="sums"/>[r].
    /// </summary>
    private static void PanelBFloat16(byte* w, float* x, int k, Span<float> sums)
    {
        var highHalf = Vector512.Create(0xFFFF0000u);
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        var a4 = Vector512<float>.Zero; var a5 = Vector512<float>.Zero; var a6 = Vector512<float>.Zero; var a7 = Vector512<float>.Zero;
        var c0 = Vector512<float>.Zero; var c1 = Vector512<float>.Zero; var c2 = Vector512<float>.Zero; var c3 = Vector512<float>.Zero;
        var c4 = Vector512<float>.Zero; var c5 = Vector512<float>.Zero; var c6 = Vector512<float>.Zero; var c7 = Vector512<float>.Zero;
        float* odd = x + k / 2;
        uint* v = (uint*)w;
        for (int j = 0; j < k / 2; j += 16, v += 8 * 16)
        {
            PrefetchAhead((byte*)v);
            var xe = Vector512.Load(x + j);
            var xo = Vector512.Load(odd + j);
            var t = Vector512.Load(v);
            a0 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a0);
            c0 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c0);
            t = Vector512.Load(v + 16);
            a1 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a1);
            c1 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c1);
            t = Vector512.Load(v + 32);
            a2 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a2);
            c2 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c2);
            t = Vector512.Load(v + 48);
            a3 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a3);
            c3 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c3);
            t = Vector512.Load(v + 64);
            a4 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a4);
            c4 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c4);
            t = Vector512.Load(v + 80);
            a5 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a5);
            c5 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c5);
            t = Vector512.Load(v + 96);
            a6 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a6);
            c6 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c6);
            t = Vector512.Load(v + 112);
            a7 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(t, 16).AsSingle(), xe, a7);
            c7 = Avx512F.FusedMultiplyAdd((t & highHalf).AsSingle(), xo, c7);
        }
        sums[0] += Vector512.Sum(a0 + c0); sums[1] += Vector512.Sum(a1 + c1);
        sums[2] += Vector512.Sum(a2 + c2); sums[3] += Vector512.Sum(a3 + c3);
        sums[4] += Vector512.Sum(a4 + c4); sums[5] += Vector512.Sum(a5 + c5);
        sums[6] += Vector512.Sum(a6 + c6); sums[7] += Vector512.Sum(a7 + c7);
    }

    /// <summary>
    /// <see cref="PanelBFloat16"/> for two items at once, so each weight is read and widened once for both: 16 sums,
    /// each taking the even and odd halves in turn; item 0's row r goes to sums[r], item 1's to sums[8 + r].
    /// </summary>
    private static void PanelBFloat16x2(byte* w, float* x0, float* x1, int k, Span<float> sums)
    {
        var highHalf = Vector512.Create(0xFFFF0000u);
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        var a4 = Vector512<float>.Zero; var a5 = Vector512<float>.Zero; var a6 = Vector512<float>.Zero; var a7 = Vector512<float>.Zero;
        var b0 = Vector512<float>.Zero; var b1 = Vector512<float>.Zero; var b2 = Vector512<float>.Zero; var b3 = Vector512<float>.Zero;
        var b4 = Vector512<float>.Zero; var b5 = Vector512<float>.Zero; var b6 = Vector512<float>.Zero; var b7 = Vector512<float>.Zero;
        int half = k / 2;
        uint* v = (uint*)w;
        for (int j = 0; j < half; j += 16, v += 8 * 16)
        {
            PrefetchAhead((byte*)v);
            var e0 = Vector512.Load(x0 + j); var o0 = Vector512.Load(x0 + half + j);
            var e1 = Vector512.Load(x1 + j); var o1 = Vector512.Load(x1 + half + j);
            Widen(Vector512.Load(v), highHalf, out var even, out var odd);
            a0 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a0)); b0 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b0));
            Widen(Vector512.Load(v + 16), highHalf, out even, out odd);
            a1 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a1)); b1 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b1));
            Widen(Vector512.Load(v + 32), highHalf, out even, out odd);
            a2 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a2)); b2 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b2));
            Widen(Vector512.Load(v + 48), highHalf, out even, out odd);
            a3 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a3)); b3 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b3));
            Widen(Vector512.Load(v + 64), highHalf, out even, out odd);
            a4 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a4)); b4 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b4));
            Widen(Vector512.Load(v + 80), highHalf, out even, out odd);
            a5 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a5)); b5 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b5));
            Widen(Vector512.Load(v + 96), highHalf, out even, out odd);
            a6 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a6)); b6 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b6));
            Widen(Vector512.Load(v + 112), highHalf, out even, out odd);
            a7 = Avx512F.FusedMultiplyAdd(odd, o0, Avx512F.FusedMultiplyAdd(even, e0, a7)); b7 = Avx512F.FusedMultiplyAdd(odd, o1, Avx512F.FusedMultiplyAdd(even, e1, b7));
        }
        sums[0] += Vector512.Sum(a0); sums[1] += Vector512.Sum(a1); sums[2] += Vector512.Sum(a2); sums[3] += Vector512.Sum(a3);
        sums[4] += Vector512.Sum(a4); sums[5] += Vector512.Sum(a5); sums[6] += Vector512.Sum(a6); sums[7] += Vector512.Sum(a7);
        sums[8] += Vector512.Sum(b0); sums[9] += Vector512.Sum(b1); sums[10] += Vector512.Sum(b2); sums[11] += Vector512.Sum(b3);
        sums[12] += Vector512.Sum(b4); sums[13] += Vector512.Sum(b5); sums[14] += Vector512.Sum(b6); sums[15] += Vector512.Sum(b7);
    }

    /// <summary>A 32-bit lane of two bfloat16 values as float32: element 2j (low half, shifted up) and 2j+1 (high half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen(Vector512<uint> lanes, Vector512<uint> highHalf, out Vector512<float> even, out Vector512<float> odd)
    {
        even = Avx512F.ShiftLeftLogical(lanes, 16).AsSingle();
        odd = (lanes & highHalf).AsSingle();
    }

    /// <summary>
    /// A panel is one sequential stream: ask for the 512 bytes (one chunk of 8 rows) <see cref="PanelPrefetchBytes"/>
    /// ahead, into L1. Past the end it names memory the buffer does not own: a prefetch never faults.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(byte* at)
    {
        if (!PrefetchEnabled) return;
        at += PanelPrefetchBytes;
        Sse.Prefetch0(at);
        Sse.Prefetch0(at + 64);
        Sse.Prefetch0(at + 128);
        Sse.Prefetch0(at + 192);
        Sse.Prefetch0(at + 256);
        Sse.Prefetch0(at + 320);
        Sse.Prefetch0(at + 384);
        Sse.Prefetch0(at + 448);
    }

    /// <summary>How far ahead <see cref="PrefetchAhead"/> reaches in a panel stream.</summary>
    internal static int PanelPrefetchBytes { get; set; } = 8192;

    /// <summary>Runs <see cref="Rows"/> over all rows, split between up to <paramref name="threads"/> workers.</summary>
    private static void Dispatch(Term[] packed, float[] bias, float* y, int batch, int rows, long weightBytes, int threads)
    {
        nint output = (nint)y;
        // A worker per 128 KB of weights at most: below that, handing rows to another thread costs more than it saves.
        // In the decoder loop the helper is usually still spinning from the previous call, so the small products
        // (query, projection, prenet: 0.1-0.5 MB) gain from splitting too (1 MB before; step 1-7% faster in median).
        int parts = Workers(threads, weightBytes, Math.Max(1, rows / RowBlock));
        if (parts == 1)
        {
            Rows(packed, bias, output, batch, rows, 0, rows);
            return;
        }
        int chunk = (rows / parts + RowBlock - 1) / RowBlock * RowBlock;
        KernelWorkers.Run(parts,
            part => Rows(packed, bias, output, batch, rows, Math.Min(rows, part * chunk), part == parts - 1 ? rows : Math.Min(rows, (part + 1) * chunk)));
    }

    /// <summary>
    /// How many workers a product of <paramref name="weightBytes"/> gets: at most <paramref name="threads"/>, one
    /// per <see cref="MinBytesPerWorker"/> of weights, and at most <paramref name="maxParts"/> (whole row blocks or panels).
    /// </summary>
    private static int Workers(int threads, long weightBytes, int maxParts) =>
        (int)Math.Clamp(Math.Min(threads, weightBytes / MinBytesPerWorker), 1, maxParts);

    /// <summary>Grows this thread's pinned scratch to hold <paramref name="floats"/> split activations.</summary>
    private static void EnsureScratch(long floats)
    {
        if (floats > 0 && (_scratch is null || _scratch.Length < floats))
            _scratch = GC.AllocateUninitializedArray<float>((int)floats, pinned: true);
    }

    /// <summary>
    /// x (B, K) rearranged per batch item as [x0, x2, x4, ... | x1, x3, x5, ...] in a pinned array, so a 32-bit lane
    /// of bfloat16 weights (elements 2j and 2j+1) meets its two activations without shuffles.
    /// </summary>
    private static nint SplitEvenOdd(ReadOnlySpan<float> source, int batch, int k, ref int offset)
    {
        Debug.Assert(_scratch is not null && _scratch.Length >= offset + batch * k, "scratch sized by the caller");
        var split = _scratch.AsSpan(offset, batch * k);
        int needed = offset + batch * k;
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(split));
        offset = needed;
        int half = k / 2;
        for (int b = 0; b < batch; b++)
        {
            var from = source.Slice(b * k, k);
            var to = split.Slice(b * k, k);
            for (int j = 0; j < half; j++)
            {
                to[j] = from[2 * j];
                to[half + j] = from[2 * j + 1];
            }
        }
        return address;
    }

    private static Tensor Keep(List<Tensor> keep, Tensor t)
    {
        keep.Add(t);
        return t;
    }


    /// <summary>
    /// Output rows [from, to) of every batch item. Batch 1-2: 4 rows at a time, so 4 independent sums hide FMA
    /// latency. Batch 3-8: one row at a time against 4 batch items, so each weight is loaded (and widened) once per
    /// group of 4 items rather than once per item.
    /// </summary>
    private static void Rows(Term[] terms, float[] bias, nint y, int batch, int n, int from, int to)
    {
        float* yp = (float*)y;
        if (batch >= 3)
        {
            RowsByGroupsOfFour(terms, bias, yp, batch, n, from, to);
            return;
        }
        int row = from;
        if (Array.TrueForAll(terms, t => t.BFloat16))
            for (; row + 8 <= to; row += 8)
                for (int b = 0; b < batch; b++)
                    Block8BFloat16(terms, bias, yp + (long)b * n, row, b);
        for (; row + 4 <= to; row += 4)
            for (int b = 0; b < batch; b++)
            {
                var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
                var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                foreach (var t in terms)
                {
                    float* x = (float*)t.X + (long)b * t.K;
                    if (t.BFloat16) Block4BFloat16(t, row, b, ref a0, ref a1, ref a2, ref a3, ref s0, ref s1, ref s2, ref s3);
                    else Block4Float32(t, row, x, ref a0, ref a1, ref a2, ref a3, ref s0, ref s1, ref s2, ref s3);
                }
                float* o = yp + (long)b * n + row;
                o[0] = Vector512.Sum(a0) + s0 + bias[row];
                o[1] = Vector512.Sum(a1) + s1 + bias[row + 1];
                o[2] = Vector512.Sum(a2) + s2 + bias[row + 2];
                o[3] = Vector512.Sum(a3) + s3 + bias[row + 3];
            }
        for (; row < to; row++)
            for (int b = 0; b < batch; b++)
            {
                float sum = bias[row];
                foreach (var t in terms)
                {
                    float* x = (float*)t.X + (long)b * t.K;
                    for (int k = 0; k < t.K; k++)
                        sum += WeightAt(t, (long)row * t.K + k) * x[k];
                }
                yp[(long)b * n + row] = sum;
            }
    }

    private static void RowsByGroupsOfFour(Term[] terms, float[] bias, float* yp, int batch, int n, int from, int to)
    {
        int row = from;
        // Float32: 4 rows x 4 items per pass, 16 independent sums, so the FMAs are not waiting on each other's
        // latency (1 row x 4 items kept one FMA per cycle in flight: compute-bound at batch 4).
        if (Array.TrueForAll(terms, t => !t.BFloat16))
            for (; row + 4 <= to; row += 4)
                for (int first = 0; first < batch; first += 4)
                    Block4x4Float32(terms, bias, yp, n, row, first, Math.Min(4, batch - first));
        else if (Array.TrueForAll(terms, t => t.BFloat16))
            for (; row + 4 <= to; row += 4)
                for (int first = 0; first < batch; first += 4)
                    Block4x4BFloat16(terms, bias, yp, n, row, first, Math.Min(4, batch - first));
        for (; row < to; row++)
            for (int first = 0; first < batch; first += 4)
            {
                int count = Math.Min(4, batch - first);
                var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
                var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                foreach (var t in terms)
                {
                    if (t.BFloat16) Row1x4BFloat16(t, row, first, count, ref a0, ref a1, ref a2, ref a3, ref s0, ref s1, ref s2, ref s3);
                    else Row1x4Float32(t, row, first, count, ref a0, ref a1, ref a2, ref a3, ref s0, ref s1, ref s2, ref s3);
                }
                // Items past the batch's end reused the group's last item; their sums are dropped.
                float* o = yp + (long)first * n + row;
                o[0] = Vector512.Sum(a0) + s0 + bias[row];
                if (count > 1) o[n] = Vector512.Sum(a1) + s1 + bias[row];
                if (count > 2) o[2L * n] = Vector512.Sum(a2) + s2 + bias[row];
                if (count > 3) o[3L * n] = Vector512.Sum(a3) + s3 + bias[row];
            }
    }

    /// <summary>Rows [row, row + 4) for items [first, first + count), count &lt;= 4, over float32 terms.</summary>
    private static void Block4x4Float32(Term[] terms, float[] bias, float* yp, int n, int row, int first, int count)
    {
        var a00 = Vector512<float>.Zero; var a01 = Vector512<float>.Zero; var a02 = Vector512<float>.Zero; var a03 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero; var a11 = Vector512<float>.Zero; var a12 = Vector512<float>.Zero; var a13 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero; var a21 = Vector512<float>.Zero; var a22 = Vector512<float>.Zero; var a23 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero; var a31 = Vector512<float>.Zero; var a32 = Vector512<float>.Zero; var a33 = Vector512<float>.Zero;
        Span<float> tail = stackalloc float[16];
        tail.Clear();
        foreach (var t in terms)
        {
            long k = t.K;
            float* w0 = (float*)t.W + row * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
            // Items past the batch's end reuse the group's first item; their sums are dropped.
            float* x0 = (float*)t.X + first * k;
            float* x1 = x0 + (count > 1 ? k : 0), x2 = x0 + (count > 2 ? 2 * k : 0), x3 = x0 + (count > 3 ? 3 * k : 0);
            long i = 0;
            for (; i + 16 <= k; i += 16)
            {
                PrefetchNext((byte*)(w0 + 4 * k) + i * 16);
                var y0 = Vector512.Load(x0 + i); var y1 = Vector512.Load(x1 + i);
                var y2 = Vector512.Load(x2 + i); var y3 = Vector512.Load(x3 + i);
                var v = Vector512.Load(w0 + i);
                a00 = Avx512F.FusedMultiplyAdd(v, y0, a00); a01 = Avx512F.FusedMultiplyAdd(v, y1, a01);
                a02 = Avx512F.FusedMultiplyAdd(v, y2, a02); a03 = Avx512F.FusedMultiplyAdd(v, y3, a03);
                v = Vector512.Load(w1 + i);
                a10 = Avx512F.FusedMultiplyAdd(v, y0, a10); a11 = Avx512F.FusedMultiplyAdd(v, y1, a11);
                a12 = Avx512F.FusedMultiplyAdd(v, y2, a12); a13 = Avx512F.FusedMultiplyAdd(v, y3, a13);
                v = Vector512.Load(w2 + i);
                a20 = Avx512F.FusedMultiplyAdd(v, y0, a20); a21 = Avx512F.FusedMultiplyAdd(v, y1, a21);
                a22 = Avx512F.FusedMultiplyAdd(v, y2, a22); a23 = Avx512F.FusedMultiplyAdd(v, y3, a23);
                v = Vector512.Load(w3 + i);
                a30 = Avx512F.FusedMultiplyAdd(v, y0, a30); a31 = Avx512F.FusedMultiplyAdd(v, y1, a31);
                a32 = Avx512F.FusedMultiplyAdd(v, y2, a32); a33 = Avx512F.FusedMultiplyAdd(v, y3, a33);
            }
            for (; i < k; i++)
            {
                float* w = w0 + i;
                float e0 = x0[i], e1 = x1[i], e2 = x2[i], e3 = x3[i];
                for (int r = 0; r < 4; r++)
                {
                    float wr = w[r * k];
                    tail[r * 4] += wr * e0;
                    tail[r * 4 + 1] += wr * e1;
                    tail[r * 4 + 2] += wr * e2;
                    tail[r * 4 + 3] += wr * e3;
                }
            }
        }
        Span<float> sums =
        [
            Vector512.Sum(a00), Vector512.Sum(a01), Vector512.Sum(a02), Vector512.Sum(a03),
            Vector512.Sum(a10), Vector512.Sum(a11), Vector512.Sum(a12), Vector512.Sum(a13),
            Vector512.Sum(a20), Vector512.Sum(a21), Vector512.Sum(a22), Vector512.Sum(a23),
            Vector512.Sum(a30), Vector512.Sum(a31), Vector512.Sum(a32), Vector512.Sum(a33),
        ];
        for (int r = 0; r < 4; r++)
            for (int b = 0; b < count; b++)
                yp[(long)(first + b) * n + row + r] = sums[r * 4 + b] + tail[r * 4 + b] + bias[row + r];
    }

    /// <summary>
    /// Rows [row, row + 4) for items [first, first + count) over bfloat16 terms: each weight lane widened once
    /// (even and odd element) for 4 items, 16 sums each taking the even then the odd product.
    /// </summary>
    private static void Block4x4BFloat16(Term[] terms, float[] bias, float* yp, int n, int row, int first, int count)
    {
        var a00 = Vector512<float>.Zero; var a01 = Vector512<float>.Zero; var a02 = Vector512<float>.Zero; var a03 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero; var a11 = Vector512<float>.Zero; var a12 = Vector512<float>.Zero; var a13 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero; var a21 = Vector512<float>.Zero; var a22 = Vector512<float>.Zero; var a23 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero; var a31 = Vector512<float>.Zero; var a32 = Vector512<float>.Zero; var a33 = Vector512<float>.Zero;
        Span<float> tail = stackalloc float[16];
        tail.Clear();
        var highHalf = Vector512.Create(0xFFFF0000u);
        foreach (var t in terms)
        {
            long k = t.K, half = k / 2;
            ushort* w0 = (ushort*)t.W + row * k;
            float* e0 = (float*)t.Split + first * k;
            float* e1 = e0 + (count > 1 ? k : 0), e2 = e0 + (count > 2 ? 2 * k : 0), e3 = e0 + (count > 3 ? 3 * k : 0);
            long i = 0;
            for (; i + 32 <= k; i += 32)
            {
                PrefetchNext((byte*)(w0 + 4 * k) + i * 8);
                long j = i / 2;
                var xe0 = Vector512.Load(e0 + j); var xe1 = Vector512.Load(e1 + j); var xe2 = Vector512.Load(e2 + j); var xe3 = Vector512.Load(e3 + j);
                var xo0 = Vector512.Load(e0 + half + j); var xo1 = Vector512.Load(e1 + half + j);
                var xo2 = Vector512.Load(e2 + half + j); var xo3 = Vector512.Load(e3 + half + j);
                var v = Vector512.Load((uint*)(w0 + i));
                var even = Avx512F.ShiftLeftLogical(v, 16).AsSingle();
                var odd = (v & highHalf).AsSingle();
                a00 = Avx512F.FusedMultiplyAdd(odd, xo0, Avx512F.FusedMultiplyAdd(even, xe0, a00));
                a01 = Avx512F.FusedMultiplyAdd(odd, xo1, Avx512F.FusedMultiplyAdd(even, xe1, a01));
                a02 = Avx512F.FusedMultiplyAdd(odd, xo2, Avx512F.FusedMultiplyAdd(even, xe2, a02));
                a03 = Avx512F.FusedMultiplyAdd(odd, xo3, Avx512F.FusedMultiplyAdd(even, xe3, a03));
                v = Vector512.Load((uint*)(w0 + k + i));
                even = Avx512F.ShiftLeftLogical(v, 16).AsSingle();
                odd = (v & highHalf).AsSingle();
                a10 = Avx512F.FusedMultiplyAdd(odd, xo0, Avx512F.FusedMultiplyAdd(even, xe0, a10));
                a11 = Avx512F.FusedMultiplyAdd(odd, xo1, Avx512F.FusedMultiplyAdd(even, xe1, a11));
                a12 = Avx512F.FusedMultiplyAdd(odd, xo2, Avx512F.FusedMultiplyAdd(even, xe2, a12));
                a13 = Avx512F.FusedMultiplyAdd(odd, xo3, Avx512F.FusedMultiplyAdd(even, xe3, a13));
                v = Vector512.Load((uint*)(w0 + 2 * k + i));
                even = Avx512F.ShiftLeftLogical(v, 16).AsSingle();
                odd = (v & highHalf).AsSingle();
                a20 = Avx512F.FusedMultiplyAdd(odd, xo0, Avx512F.FusedMultiplyAdd(even, xe0, a20));
                a21 = Avx512F.FusedMultiplyAdd(odd, xo1, Avx512F.FusedMultiplyAdd(even, xe1, a21));
                a22 = Avx512F.FusedMultiplyAdd(odd, xo2, Avx512F.FusedMultiplyAdd(even, xe2, a22));
                a23 = Avx512F.FusedMultiplyAdd(odd, xo3, Avx512F.FusedMultiplyAdd(even, xe3, a23));
                v = Vector512.Load((uint*)(w0 + 3 * k + i));
                even = Avx512F.ShiftLeftLogical(v, 16).AsSingle();
                odd = (v & highHalf).AsSingle();
                a30 = Avx512F.FusedMultiplyAdd(odd, xo0, Avx512F.FusedMultiplyAdd(even, xe0, a30));
                a31 = Avx512F.FusedMultiplyAdd(odd, xo1, Avx512F.FusedMultiplyAdd(even, xe1, a31));
                a32 = Avx512F.FusedMultiplyAdd(odd, xo2, Avx512F.FusedMultiplyAdd(even, xe2, a32));
                a33 = Avx512F.FusedMultiplyAdd(odd, xo3, Avx512F.FusedMultiplyAdd(even, xe3, a33));
            }
            float* x0 = (float*)t.X + first * k;
            float* x1 = x0 + (count > 1 ? k : 0), x2 = x0 + (count > 2 ? 2 * k : 0), x3 = x0 + (count > 3 ? 3 * k : 0);
            for (; i < k; i++)
                for (int r = 0; r < 4; r++)
                {
                    float wr = WeightAt(t, (row + r) * k + i);
                    tail[r * 4] += wr * x0[i];
                    tail[r * 4 + 1] += wr * x1[i];
                    tail[r * 4 + 2] += wr * x2[i];
                    tail[r * 4 + 3] += wr * x3[i];
                }
        }
        Span<float> sums =
        [
            Vector512.Sum(a00), Vector512.Sum(a01), Vector512.Sum(a02), Vector512.Sum(a03),
            Vector512.Sum(a10), Vector512.Sum(a11), Vector512.Sum(a12), Vector512.Sum(a13),
            Vector512.Sum(a20), Vector512.Sum(a21), Vector512.Sum(a22), Vector512.Sum(a23),
            Vector512.Sum(a30), Vector512.Sum(a31), Vector512.Sum(a32), Vector512.Sum(a33),
        ];
        for (int r = 0; r < 4; r++)
            for (int b = 0; b < count; b++)
                yp[(long)(first + b) * n + row + r] = sums[r * 4 + b] + tail[r * 4 + b] + bias[row + r];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row1x4Float32(in Term t, int row, int first, int count,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3,
        ref float s0, ref float s1, ref float s2, ref float s3)
    {
        long k = t.K;
        float* w = (float*)t.W + row * k;
        float* x0 = (float*)t.X + first * k;
        float* x1 = x0 + (count > 1 ? k : 0), x2 = x0 + (count > 2 ? 2 * k : 0), x3 = x0 + (count > 3 ? 3 * k : 0);
        long i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var wv = Vector512.Load(w + i);
            a0 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x0 + i), a0);
            a1 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x1 + i), a1);
            a2 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x2 + i), a2);
            a3 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x3 + i), a3);
        }
        for (; i < k; i++)
        {
            s0 += w[i] * x0[i];
            s1 += w[i] * x1[i];
            s2 += w[i] * x2[i];
            s3 += w[i] * x3[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row1x4BFloat16(in Term t, int row, int first, int count,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3,
        ref float s0, ref float s1, ref float s2, ref float s3)
    {
        long k = t.K, half = k / 2;
        ushort* w = (ushort*)t.W + row * k;
        float* e0 = (float*)t.Split + first * k;
        float* e1 = e0 + (count > 1 ? k : 0), e2 = e0 + (count > 2 ? 2 * k : 0), e3 = e0 + (count > 3 ? 3 * k : 0);
        var highHalf = Vector512.Create(0xFFFF0000u);
        var c0 = Vector512<float>.Zero; var c1 = Vector512<float>.Zero;
        var c2 = Vector512<float>.Zero; var c3 = Vector512<float>.Zero;
        long i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var v = Vector512.Load((uint*)(w + i));
            var even = Avx512F.ShiftLeftLogical(v, 16).AsSingle();
            var odd = (v & highHalf).AsSingle();
            long j = i / 2;
            a0 = Avx512F.FusedMultiplyAdd(even, Vector512.Load(e0 + j), a0);
            c0 = Avx512F.FusedMultiplyAdd(odd, Vector512.Load(e0 + half + j), c0);
            a1 = Avx512F.FusedMultiplyAdd(even, Vector512.Load(e1 + j), a1);
            c1 = Avx512F.FusedMultiplyAdd(odd, Vector512.Load(e1 + half + j), c1);
            a2 = Avx512F.FusedMultiplyAdd(even, Vector512.Load(e2 + j), a2);
            c2 = Avx512F.FusedMultiplyAdd(odd, Vector512.Load(e2 + half + j), c2);
            a3 = Avx512F.FusedMultiplyAdd(even, Vector512.Load(e3 + j), a3);
            c3 = Avx512F.FusedMultiplyAdd(odd, Vector512.Load(e3 + half + j), c3);
        }
        a0 += c0; a1 += c1; a2 += c2; a3 += c3;
        float* x0 = (float*)t.X + first * k;
        float* x1 = x0 + (count > 1 ? k : 0), x2 = x0 + (count > 2 ? 2 * k : 0), x3 = x0 + (count > 3 ? 3 * k : 0);
        for (; i < k; i++)
        {
            float wi = WeightAt(t, row * k + i);
            s0 += wi * x0[i];
            s1 += wi * x1[i];
            s2 += wi * x2[i];
            s3 += wi * x3[i];
        }
    }

    /// <summary>
    /// Eight rows of bfloat16 weights against batch item <paramref name="b"/> (see <see cref="Block4BFloat16"/>): 16
    /// independent sums, each activation pair loaded once per 8 rows.
    /// </summary>
    private static void Block8BFloat16(Term[] terms, float[] bias, float* output, int row, int b)
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        var a4 = Vector512<float>.Zero; var a5 = Vector512<float>.Zero; var a6 = Vector512<float>.Zero; var a7 = Vector512<float>.Zero;
        var c0 = Vector512<float>.Zero; var c1 = Vector512<float>.Zero; var c2 = Vector512<float>.Zero; var c3 = Vector512<float>.Zero;
        var c4 = Vector512<float>.Zero; var c5 = Vector512<float>.Zero; var c6 = Vector512<float>.Zero; var c7 = Vector512<float>.Zero;
        Span<float> tail = stackalloc float[8];
        tail.Clear();
        var highHalf = Vector512.Create(0xFFFF0000u);
        foreach (var t in terms)
        {
            long k = t.K, half = k / 2;
            float* even = (float*)t.Split + (long)b * k, odd = even + half;
            ushort* w0 = (ushort*)t.W + row * k;
            long i = 0;
            for (; i + 32 <= k; i += 32)
            {
                PrefetchNext((byte*)(w0 + 8 * k) + i * 16);
                PrefetchNext((byte*)(w0 + 8 * k) + i * 16 + 256);
                var xe = Vector512.Load(even + i / 2);
                var xo = Vector512.Load(odd + i / 2);
                var v = Vector512.Load((uint*)(w0 + i));
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a0);
                c0 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c0);
                v = Vector512.Load((uint*)(w0 + k + i));
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a1);
                c1 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c1);
                v = Vector512.Load((uint*)(w0 + 2 * k + i));
                a2 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a2);
                c2 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c2);
                v = Vector512.Load((uint*)(w0 + 3 * k + i));
                a3 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a3);
                c3 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c3);
                v = Vector512.Load((uint*)(w0 + 4 * k + i));
                a4 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a4);
                c4 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c4);
                v = Vector512.Load((uint*)(w0 + 5 * k + i));
                a5 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a5);
                c5 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c5);
                v = Vector512.Load((uint*)(w0 + 6 * k + i));
                a6 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a6);
                c6 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c6);
                v = Vector512.Load((uint*)(w0 + 7 * k + i));
                a7 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v, 16).AsSingle(), xe, a7);
                c7 = Avx512F.FusedMultiplyAdd((v & highHalf).AsSingle(), xo, c7);
            }
            float* x = (float*)t.X + (long)b * k;
            for (; i < k; i++)
                for (int r = 0; r < 8; r++) tail[r] += WeightAt(t, (row + r) * k + i) * x[i];
        }
        output[row] = Vector512.Sum(a0 + c0) + tail[0] + bias[row];
        output[row + 1] = Vector512.Sum(a1 + c1) + tail[1] + bias[row + 1];
        output[row + 2] = Vector512.Sum(a2 + c2) + tail[2] + bias[row + 2];
        output[row + 3] = Vector512.Sum(a3 + c3) + tail[3] + bias[row + 3];
        output[row + 4] = Vector512.Sum(a4 + c4) + tail[4] + bias[row + 4];
        output[row + 5] = Vector512.Sum(a5 + c5) + tail[5] + bias[row + 5];
        output[row + 6] = Vector512.Sum(a6 + c6) + tail[6] + bias[row + 6];
        output[row + 7] = Vector512.Sum(a7 + c7) + tail[7] + bias[row + 7];
    }

    /// <summary>Four rows of float32 weights against one batch item, 16 at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4Float32(in Term t, int row, float* x,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3,
        ref float s0, ref float s1, ref float s2, ref float s3)
    {
        long k = t.K;
        float* w0 = (float*)t.W + row * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        long i = 0;
        for (; i + 16 <= k; i += 16)
        {
            PrefetchNext((byte*)(w0 + 4 * k) + i * 16);
            var xv = Vector512.Load(x + i);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w0 + i), xv, a0);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(w1 + i), xv, a1);
            a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(w2 + i), xv, a2);
            a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(w3 + i), xv, a3);
        }
        for (; i < k; i++)
        {
            s0 += w0[i] * x[i];
            s1 += w1[i] * x[i];
            s2 += w2[i] * x[i];
            s3 += w3[i] * x[i];
        }
    }

    /// <summary>
    /// Four rows of bfloat16 weights, 32 at a time: each 32-bit lane holds elements 2j (low half) and 2j+1 (high
    /// half); shifting left by 16 gives element 2j as a float32, masking the low half gives element 2j+1 (both exact),
    /// one load and two integer ops feed two FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4BFloat16(in Term t, int row, int b,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3,
        ref float s0, ref float s1, ref float s2, ref float s3)
    {
        long k = t.K, half = k / 2;
        float* even = (float*)t.Split + (long)b * k, odd = even + half;
        ushort* w = (ushort*)t.W;
        ushort* w0 = w + row * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        var highHalf = Vector512.Create(0xFFFF0000u);
        var c0 = Vector512<float>.Zero; var c1 = Vector512<float>.Zero;
        var c2 = Vector512<float>.Zero; var c3 = Vector512<float>.Zero;
        long i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var xe = Vector512.Load(even + i / 2);
            var xo = Vector512.Load(odd + i / 2);
            var v0 = Vector512.Load((uint*)(w0 + i)); var v1 = Vector512.Load((uint*)(w1 + i));
            var v2 = Vector512.Load((uint*)(w2 + i)); var v3 = Vector512.Load((uint*)(w3 + i));
            a0 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v0, 16).AsSingle(), xe, a0);
            c0 = Avx512F.FusedMultiplyAdd((v0 & highHalf).AsSingle(), xo, c0);
            a1 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v1, 16).AsSingle(), xe, a1);
            c1 = Avx512F.FusedMultiplyAdd((v1 & highHalf).AsSingle(), xo, c1);
            a2 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v2, 16).AsSingle(), xe, a2);
            c2 = Avx512F.FusedMultiplyAdd((v2 & highHalf).AsSingle(), xo, c2);
            a3 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v3, 16).AsSingle(), xe, a3);
            c3 = Avx512F.FusedMultiplyAdd((v3 & highHalf).AsSingle(), xo, c3);
        }
        a0 += c0; a1 += c1; a2 += c2; a3 += c3;
        float* x = (float*)t.X + (long)b * k;
        for (; i < k; i++)
        {
            s0 += WeightAt(t, row * k + i) * x[i];
            s1 += WeightAt(t, (row + 1) * k + i) * x[i];
            s2 += WeightAt(t, (row + 2) * k + i) * x[i];
            s3 += WeightAt(t, (row + 3) * k + i) * x[i];
        }
    }

    /// <summary>The weight at an element index of a term's matrix, as float32 (bfloat16 widened exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float WeightAt(in Term t, long index) =>
        t.BFloat16 ? BFloat16ToSingle(((ushort*)t.W)[index]) : ((float*)t.W)[index];

    /// <summary>
    /// Asks for the next block's weights while this block computes: a block of rows is a few KB, too short a stream
    /// for the hardware prefetcher to run ahead of, so each k-step requests the matching 256 bytes of the next block.
    /// Past the last row it names memory the matrix does not own: a prefetch never faults, it is only a wasted request.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNext(byte* at)
    {
        if (!PrefetchEnabled) return;
        Sse.Prefetch1(at);
        Sse.Prefetch1(at + 64);
        Sse.Prefetch1(at + 128);
        Sse.Prefetch1(at + 192);
    }

    /// <summary>Off skips the software prefetch (the gemv-kernels suite compares both). Process-wide.</summary>
    internal static bool PrefetchEnabled { get; set; } = true;

    /// <summary>bfloat16 is the top half of a float32: shift left by 16 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float BFloat16ToSingle(ushort value) => BitConverter.Int32BitsToSingle(value << 16);
}
