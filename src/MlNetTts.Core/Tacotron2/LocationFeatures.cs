using System.Runtime.CompilerServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
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
        && !Cast.NeedsGradient(weightsCat, convWeight, denseWeight) && Fits(weightsCat, convWeight, denseWeight)
        && convWeight.is_contiguous() && denseWeight.is_contiguous();

    /// <summary>The operands both passes take: CPU float32, (B, C, T) weights, an odd-width (F, C, K) conv, an (A, F) dense.</summary>
    private static bool Fits(Tensor weightsCat, Tensor convWeight, Tensor denseWeight) =>
        weightsCat.device_type == TorchSharp.DeviceType.CPU && convWeight.device_type == TorchSharp.DeviceType.CPU
        && denseWeight.device_type == TorchSharp.DeviceType.CPU
        && weightsCat.dtype == ScalarType.Float32 && convWeight.dtype == ScalarType.Float32 && denseWeight.dtype == ScalarType.Float32
        && weightsCat.dim() == 3 && convWeight.dim() == 3 && denseWeight.dim() == 2
        && weightsCat.shape[1] == convWeight.shape[1] && convWeight.shape[2] % 2 == 1 && denseWeight.shape[1] == convWeight.shape[0];

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
        fixed (float* inp = input, cv = conv, dt = denseT)
        fixed (float* wp = TensorMemory.Floats(convWeight), src = TensorMemory.Floats(x), dst = TensorMemory.Floats(output))
            ComputeInto(src, batch, channels, time, wp, filters, kernel, dt, dim, dst, inp, cv);
        return output;
    }

    /// <summary>Off: training runs the layers through libtorch (tests and benchmarks compare both).</summary>
    internal static bool TrainingEnabled { get; set; } = true;

    /// <summary>
    /// Whether <see cref="ComputeWithGradient"/> takes these operands: CPU float32 with a gradient to record
    /// (teacher-forced training; float32 also under a bf16 casting scope, as the layer is too small to gain from it).
    /// </summary>
    public static bool AcceptsTraining(Tensor weightsCat, Tensor convWeight, Tensor denseWeight) =>
        TrainingEnabled
        && Cast.NeedsGradient(weightsCat, convWeight, denseWeight) && Fits(weightsCat, convWeight, denseWeight);

    /// <summary>
    /// (B, C, T) weights -> (B, T, A) location features as one autograd node: the convolution's columns (B*T, C*K) built
    /// in one C# pass, then two products forward and four backward, and the columns' gradient folded back in C#.
    /// Through libtorch the convolution is a matmul over K stacked shifted slices: ~70 small ops per decoder step
    /// forward and more backward (2.3 ms per step at batch 8 in the training profile). Same sums, another order.
    /// </summary>
    public static Tensor ComputeWithGradient(Tensor weightsCat, Tensor convWeight, Tensor denseWeight) =>
        TrainingNode.apply(weightsCat, convWeight, denseWeight)[0];

    /// <summary>The taps [first, last) of a centred odd kernel at output step t that read inside the sequence of T steps.</summary>
    private static (int First, int Last) TapsInside(int t, int time, int kernel)
    {
        int pad = (kernel - 1) / 2;
        return (Math.Max(0, pad - t), Math.Min(kernel, time + pad - t));
    }

    private sealed class TrainingNode : autograd.MultiTensorFunction<TrainingNode>
    {
        public override string Name => nameof(LocationFeatures);

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            // The weights are saved for the backward, so they stay outside the scope that frees the temporaries.
            var convWeight = ((Tensor)vars[1]).detach();
            var denseWeight = ((Tensor)vars[2]).detach();
            using var scope = NewDisposeScope();
            var x = ((Tensor)vars[0]).detach().contiguous();
            int batch = (int)x.shape[0], channels = (int)x.shape[1], time = (int)x.shape[2];
            int filters = (int)convWeight.shape[0], kernel = (int)convWeight.shape[2], dim = (int)denseWeight.shape[0];
            // columns[b*T + t, c*K + j] = x[b, c, t + j - pad], zero outside the sequence.
            var columns = zeros(batch * time, channels * kernel);
            var xs = TensorMemory.Floats(x); var cs = TensorMemory.Floats(columns);
            int pad = (kernel - 1) / 2, width = channels * kernel;
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < time; t++)
                {
                    var row = cs.Slice((b * time + t) * width, width);
                    var (first, last) = TapsInside(t, time, kernel);
                    if (first >= last) continue;
                    for (int c = 0; c < channels; c++)
                        xs.Slice((b * channels + c) * time + t + first - pad, last - first).CopyTo(row.Slice(c * kernel + first));
                }
            var conv = columns.matmul(convWeight.reshape(filters, width).t());   // (B*T, F)
            var output = conv.matmul(denseWeight.t()).reshape(batch, time, dim);
            ctx.save_for_backward([columns.MoveToOuterDisposeScope(), conv.MoveToOuterDisposeScope(), convWeight, denseWeight]);
            ctx.save_data("input shape", x.shape);
            return [output.MoveToOuterDisposeScope()];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            var saved = ctx.get_saved_variables();
            try
            {
                using var scope = NewDisposeScope();
                var (columns, conv, convWeight, denseWeight) = (saved[0], saved[1], saved[2], saved[3]);
                var shape = (long[])ctx.get_data("input shape");
                int batch = (int)shape[0], channels = (int)shape[1], time = (int)shape[2];
                int filters = (int)convWeight.shape[0], kernel = (int)convWeight.shape[2], dim = (int)denseWeight.shape[0];
                int pad = (kernel - 1) / 2, width = channels * kernel;
                var gradOutput = gradOutputs[0].to(ScalarType.Float32).reshape(batch * time, dim);
                var gradDense = gradOutput.t().matmul(conv);                        // (A, F)
                var gradConv = gradOutput.matmul(denseWeight);                       // (B*T, F)
                var gradConvWeight = gradConv.t().matmul(columns).reshape(filters, channels, kernel);
                var gradColumns = gradConv.matmul(convWeight.reshape(filters, width)).contiguous(); // (B*T, C*K)
                // Fold the columns' gradient back: x[b, c, s] gathers columns[b*T + t, c*K + j] for t + j - pad = s.
                var gradInput = zeros(batch, channels, time);
                var gc = TensorMemory.Floats(gradColumns); var gx = TensorMemory.Floats(gradInput);
                for (int b = 0; b < batch; b++)
                    for (int t = 0; t < time; t++)
                    {
                        var row = gc.Slice((b * time + t) * width, width);
                        var (first, last) = TapsInside(t, time, kernel);
                        if (first >= last) continue;
                        for (int c = 0; c < channels; c++)
                        {
                            var target = gx.Slice((b * channels + c) * time + t + first - pad, last - first);
                            TensorPrimitives.Add(target, row.Slice(c * kernel + first, last - first), target);
                        }
                    }
                return [gradInput.MoveToOuterDisposeScope(), gradConvWeight.MoveToOuterDisposeScope(), gradDense.MoveToOuterDisposeScope()];
            }
            finally
            {
                foreach (var t in saved) t.Dispose();
            }
        }
    }

    /// <summary>The dense weight (A, F) transposed to (F, A): a row per filter, contiguous over A, in a pinned array.</summary>
    internal static float[] TransposeDense(Tensor denseWeight)
    {
        int dim = (int)denseWeight.shape[0], filters = (int)denseWeight.shape[1];
        var dense = TensorMemory.Floats(denseWeight);
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
