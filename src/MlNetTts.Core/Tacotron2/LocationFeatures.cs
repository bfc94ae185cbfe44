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
        int pad = (kernel - 1) / 2;
        var output = empty(batch, time, dim, dtype: ScalarType.Float32);
        // Zero-padded input rows, so the convolution's inner loop needs no bounds tests.
        int padded = time + 2 * pad;
        var input = new float[channels * padded];
        var conv = new float[filters * time];
        var denseT = new float[filters * dim]; // dense^T (F, A): a row per filter, contiguous over A
        var dense = MemoryMarshal.Cast<byte, float>(denseWeight.bytes);
        for (int a = 0; a < dim; a++)
            for (int f = 0; f < filters; f++) denseT[f * dim + a] = dense[a * filters + f];
        var w = MemoryMarshal.Cast<byte, float>(convWeight.bytes);
        var source = MemoryMarshal.Cast<byte, float>(x.bytes);
        var target = MemoryMarshal.Cast<byte, float>(output.bytes);
        fixed (float* inp = input, cv = conv, dt = denseT)
        fixed (float* wp = w, src = source, dst = target)
        {
            for (int b = 0; b < batch; b++)
            {
                for (int c = 0; c < channels; c++)
                    new ReadOnlySpan<float>(src + ((long)b * channels + c) * time, time).CopyTo(input.AsSpan(c * padded + pad, time));
                Convolve(inp, padded, channels, time, wp, filters, kernel, cv);
                Project(cv, filters, time, dt, dim, dst + (long)b * time * dim);
            }
        }
        return output;
    }

    /// <summary>conv[f, t] = Σ_c Σ_j w[f, c, j] · input[c, t + j], vectorised over t.</summary>
    private static void Convolve(float* input, int padded, int channels, int time, float* w, int filters, int kernel, float* conv)
    {
        for (int f = 0; f < filters; f++)
        {
            float* row = conv + (long)f * time;
            int t = 0;
            for (; t + 16 <= time; t += 16)
            {
                var sum = Vector512<float>.Zero;
                for (int c = 0; c < channels; c++)
                {
                    float* taps = w + ((long)f * channels + c) * kernel;
                    float* x = input + (long)c * padded + t;
                    for (int j = 0; j < kernel; j++) sum += Vector512.Create(taps[j]) * Vector512.Load(x + j);
                }
                sum.Store(row + t);
            }
            for (; t < time; t++)
            {
                float sum = 0;
                for (int c = 0; c < channels; c++)
                    for (int j = 0; j < kernel; j++) sum += w[((long)f * channels + c) * kernel + j] * input[(long)c * padded + t + j];
                row[t] = sum;
            }
        }
    }

    /// <summary>out[t, a] = Σ_f conv[f, t] · dense[a, f], vectorised over a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Project(float* conv, int filters, int time, float* denseT, int dim, float* output)
    {
        for (int t = 0; t < time; t++)
        {
            float* o = output + (long)t * dim;
            int a = 0;
            for (; a + 16 <= dim; a += 16)
            {
                var sum = Vector512<float>.Zero;
                for (int f = 0; f < filters; f++) sum += Vector512.Create(conv[(long)f * time + t]) * Vector512.Load(denseT + (long)f * dim + a);
                sum.Store(o + a);
            }
            for (; a < dim; a++)
            {
                float sum = 0;
                for (int f = 0; f < filters; f++) sum += conv[(long)f * time + t] * denseT[(long)f * dim + a];
                o[a] = sum;
            }
        }
    }
}
