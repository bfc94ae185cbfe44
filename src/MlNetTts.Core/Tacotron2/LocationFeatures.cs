using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The location layer at inference, in one pass over float32 memory: conv1d(2 -> F, kernel K, zero padding (K-1)/2,
/// no bias) then a bias-free dense F -> A, for (B, 2, T) attention weights. libtorch runs it as ~9 small ops (pad,
/// unfold, copy, two GEMMs, transposes) whose fixed costs make it 10% of a batch-1 decoder step; the arithmetic is
/// ~0.8 M multiply-adds at T = 128, a few microseconds vectorised. Same sums as the layers, in another order.
/// </summary>
internal static unsafe class LocationFeatures
{
    /// <summary>Whether <see cref="Compute"/> takes these operands (inference, CPU, float32, contiguous, AVX-512).</summary>
    public static bool Accepts(Tensor weightsCat, Tensor convWeight, Tensor denseWeight) =>
        SmallBatchGemv.IsSupported && SmallBatchGemv.Enabled
        && !Cast.NeedsGradient(weightsCat, convWeight, denseWeight)
        && weightsCat.device_type == TorchSharp.DeviceType.CPU && convWeight.device_type == TorchSharp.DeviceType.CPU
        && denseWeight.device_type == TorchSharp.DeviceType.CPU
        && weightsCat.dtype == ScalarType.Float32 && convWeight.dtype == ScalarType.Float32 && denseWeight.dtype == ScalarType.Float32
        && weightsCat.dim() == 3 && convWeight.dim() == 3 && denseWeight.dim() == 2
        && weightsCat.shape[1] == convWeight.shape[1] && convWeight.shape[2] % 2 == 1 && denseWeight.shape[1] == convWeight.shape[0]
        && convWeight.is_contiguous() && denseWeight.is_contiguous();

    /// <summary>(B, C, T) weights -> (B, T, A) location features.</summary>
    public static Tensor Compute(Tensor weightsCat, Tensor convWeight, Tensor denseWeight)
    {
        using var x = weightsCat.contiguous();
        int batch = (int)x.shape[0], channels = (int)x.shape[1], time = (int)x.shape[2];
        int filters = (int)convWeight.shape[0], kernel = (int)convWeight.shape[2], dim = (int)denseWeight.shape[0];
        var output = empty(batch, time, dim, dtype: ScalarType.Float32);
        var input = new float[InputScratchLength(channels, time, kernel)];
        var conv = new float[ConvScratchLength(filters, time)];
        var denseT = TransposeDense(denseWeight);
        var w = MemoryMarshal.Cast<byte, float>(convWeight.bytes);
        var source = MemoryMarshal.Cast<byte, float>(x.bytes);
        var target = MemoryMarshal.Cast<byte, float>(output.bytes);
        fixed (float* inp = input, cv = conv, dt = denseT)
        fixed (float* wp = w, src = source, dst = target)
            ComputeInto(src, batch, channels, time, wp, filters, kernel, dt, dim, dst, inp, cv);
        return output;
    }

    /// <summary>The dense weight (A, F) transposed to (F, A): a row per filter, contiguous over A, in a pinned array.</summary>
    internal static float[] TransposeDense(Tensor denseWeight)
    {
        int dim = (int)denseWeight.shape[0], filters = (int)denseWeight.shape[1];
        var dense = MemoryMarshal.Cast<byte, float>(denseWeight.bytes);
        var denseT = GC.AllocateArray<float>(filters * dim, pinned: true);
        for (int a = 0; a < dim; a++)
            for (int f = 0; f < filters; f++) denseT[f * dim + a] = dense[a * filters + f];
        return denseT;
    }

    /// <summary>Floats of <see cref="ComputeInto"/>'s input scratch: C zero-padded rows, T rounded up to whole vectors.</summary>
    internal static int InputScratchLength(int channels, int time, int kernel) => channels * (Blocks(time) + kernel - 1);

    /// <summary>Floats of <see cref="ComputeInto"/>'s convolution scratch: F rows of T rounded up to whole vectors.</summary>
    internal static int ConvScratchLength(int filters, int time) => filters * Blocks(time);

    /// <summary>T rounded up to whole 16-float vectors: the convolution runs over whole vectors, its extra outputs unread.</summary>
    private static int Blocks(int time) => (time + 15) & ~15;

    /// <summary>
    /// (B, C, T) weights at <paramref name="source"/> -> (B, T, A) features at <paramref name="output"/>, with the conv
    /// weight (F, C, K), the transposed dense weight (F, A) and scratch of <see cref="InputScratchLength"/> and
    /// <see cref="ConvScratchLength"/> floats.
    /// </summary>
    internal static void ComputeInto(float* source, int batch, int channels, int time, float* convWeight, int filters, int kernel,
        float* denseT, int dim, float* output, float* inputScratch, float* convScratch)
    {
        // Zero-padded input rows, so the convolution's inner loop needs no bounds tests.
        int pad = (kernel - 1) / 2, stride = Blocks(time), padded = stride + kernel - 1;
        new Span<float>(inputScratch, channels * padded).Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
                new ReadOnlySpan<float>(source + ((long)b * channels + c) * time, time).CopyTo(new Span<float>(inputScratch + (long)c * padded + pad, time));
            Convolve(inputScratch, padded, channels, stride, convWeight, filters, kernel, convScratch);
            Project(convScratch, stride, filters, time, denseT, dim, output + (long)b * time * dim);
        }
    }

    /// <summary>
    /// conv[f, t] = Σ_c Σ_j w[f, c, j] · input[c, t + j] for t below <paramref name="stride"/> (a whole number of
    /// vectors), vectorised over t, eight filters at a time so eight sums are in flight and each input load serves
    /// eight of them (one chain of 2 x 31 dependent additions per vector was latency-bound).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Convolve(float* input, int padded, int channels, int stride, float* w, int filters, int kernel, float* conv)
    {
        int taps = channels * kernel;
        for (int t = 0; t < stride; t += 16)
        {
            int f = 0;
            for (; f + 8 <= filters; f += 8)
            {
                var s0 = Vector512<float>.Zero; var s1 = Vector512<float>.Zero;
                var s2 = Vector512<float>.Zero; var s3 = Vector512<float>.Zero;
                var s4 = Vector512<float>.Zero; var s5 = Vector512<float>.Zero;
                var s6 = Vector512<float>.Zero; var s7 = Vector512<float>.Zero;
                for (int c = 0; c < channels; c++)
                {
                    float* x = input + (long)c * padded + t;
                    float* w0 = w + (long)f * taps + c * kernel;
                    for (int j = 0; j < kernel; j++)
                    {
                        var v = Vector512.Load(x + j);
                        s0 += Vector512.Create(w0[j]) * v;
                        s1 += Vector512.Create(w0[taps + j]) * v;
                        s2 += Vector512.Create(w0[2 * taps + j]) * v;
                        s3 += Vector512.Create(w0[3 * taps + j]) * v;
                        s4 += Vector512.Create(w0[4 * taps + j]) * v;
                        s5 += Vector512.Create(w0[5 * taps + j]) * v;
                        s6 += Vector512.Create(w0[6 * taps + j]) * v;
                        s7 += Vector512.Create(w0[7 * taps + j]) * v;
                    }
                }
                float* row = conv + (long)f * stride + t;
                s0.Store(row); s1.Store(row + stride); s2.Store(row + 2 * stride); s3.Store(row + 3 * stride);
                s4.Store(row + 4 * stride); s5.Store(row + 5 * stride); s6.Store(row + 6 * stride); s7.Store(row + 7 * stride);
            }
            for (; f < filters; f++)
            {
                var sum = Vector512<float>.Zero;
                for (int c = 0; c < channels; c++)
                {
                    float* x = input + (long)c * padded + t;
                    float* wf = w + (long)f * taps + c * kernel;
                    for (int j = 0; j < kernel; j++) sum += Vector512.Create(wf[j]) * Vector512.Load(x + j);
                }
                sum.Store(conv + (long)f * stride + t);
            }
        }
    }

    /// <summary>
    /// out[t, a] = Σ_f conv[f, t] · dense[a, f], vectorised over a, eight 16-wide blocks of a at a time (all of the
    /// reference's A = 128 at once: eight sums in flight, one broadcast of conv[f, t] for all of them); other widths
    /// finish a block at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Project(float* conv, int stride, int filters, int time, float* denseT, int dim, float* output)
    {
        for (int t = 0; t < time; t++)
        {
            float* o = output + (long)t * dim;
            int a = 0;
            for (; a + 128 <= dim; a += 128)
            {
                var s0 = Vector512<float>.Zero; var s1 = Vector512<float>.Zero;
                var s2 = Vector512<float>.Zero; var s3 = Vector512<float>.Zero;
                var s4 = Vector512<float>.Zero; var s5 = Vector512<float>.Zero;
                var s6 = Vector512<float>.Zero; var s7 = Vector512<float>.Zero;
                for (int f = 0; f < filters; f++)
                {
                    var c = Vector512.Create(conv[(long)f * stride + t]);
                    float* d = denseT + (long)f * dim + a;
                    s0 += c * Vector512.Load(d);
                    s1 += c * Vector512.Load(d + 16);
                    s2 += c * Vector512.Load(d + 32);
                    s3 += c * Vector512.Load(d + 48);
                    s4 += c * Vector512.Load(d + 64);
                    s5 += c * Vector512.Load(d + 80);
                    s6 += c * Vector512.Load(d + 96);
                    s7 += c * Vector512.Load(d + 112);
                }
                s0.Store(o + a); s1.Store(o + a + 16); s2.Store(o + a + 32); s3.Store(o + a + 48);
                s4.Store(o + a + 64); s5.Store(o + a + 80); s6.Store(o + a + 96); s7.Store(o + a + 112);
            }
            for (; a + 16 <= dim; a += 16)
            {
                var sum = Vector512<float>.Zero;
                for (int f = 0; f < filters; f++) sum += Vector512.Create(conv[(long)f * stride + t]) * Vector512.Load(denseT + (long)f * dim + a);
                sum.Store(o + a);
            }
            for (; a < dim; a++)
            {
                float sum = 0;
                for (int f = 0; f < filters; f++) sum += conv[(long)f * stride + t] * denseT[(long)f * dim + a];
                o[a] = sum;
            }
        }
    }
}
