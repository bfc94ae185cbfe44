using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// Layer math that honours the active <see cref="CastingScope"/>: in a scope, inputs and weights are
/// cast to the scope's 16-bit type, the math runs there, and the result comes back as float32, so
/// softmax, norms and losses downstream stay float32 and mixed dtypes never reach a matmul (which
/// aborts the process in TorchSharp). Without a scope these are the plain float32 operations.
/// </summary>
public static class Cast
{
    /// <summary>y = x W^T + b.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias) => Linear(input, weight, bias, smallLayersStayFloat32: true);

    /// <summary>
    /// y = x W^T + b; <paramref name="smallLayersStayFloat32"/> false casts even small layers in a scope (the LSTM
    /// cells, whose matrices always follow the scope, at every batch size).
    /// </summary>
    private static Tensor Linear(Tensor input, Tensor weight, Tensor? bias, bool smallLayersStayFloat32)
    {
        var scope = CastingScope.Current;
        CheckLayer(input, weight, bias, scope);
        if (scope is not null && smallLayersStayFloat32 && IsSmallAtInference(input, weight, bias)) scope = null;
        if (SmallBatch(scope, (input, weight, bias)) is { } fast) return fast;
        if (scope is null) return nn.functional.linear(input, weight, bias);
        using var x = input.to(scope.DType);
        using var y = nn.functional.linear(x, scope.Weight(weight), bias is null ? null : scope.Weight(bias));
        return y.to(input.dtype);
    }

    /// <summary>
    /// Layers with fewer float32 weight bytes than this run in float32 at inference even inside a casting scope: they
    /// are bound by per-op overhead, not by reading their weights, and casting the activations to 16 bits and back
    /// costs more than the product saves (the decoder's prenet, attention and projection layers; its LSTMs, encoder
    /// and postnet are larger).
    /// </summary>
    internal const long SmallLayerBytes = 1L << 20;

    /// <summary>
    /// A layer whose weights are under <see cref="SmallLayerBytes"/>, on float32 activations, with no gradient to
    /// record: such layers skip the casting scope.
    /// </summary>
    private static bool IsSmallAtInference(Tensor input, Tensor weight, Tensor? bias) =>
        weight.numel() * sizeof(float) < SmallLayerBytes && input.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
        && !NeedsGradient(input, weight, bias);

    /// <summary>Whether autograd would record an op on these operands (the inference-only paths check it).</summary>
    internal static bool NeedsGradient(Tensor a, Tensor b, Tensor? c) =>
        is_grad_enabled() && (a.requires_grad || b.requires_grad || (c?.requires_grad ?? false));

    /// <summary>
    /// Σ x W^T + b through <see cref="SmallBatchGemv"/> when it takes the operands (inference on CPU, 2-d float32
    /// activations, batch &lt;= 8): weights in the scope's type (float32 without one), biases and accumulation in
    /// float32. Null when it does not; the caller then runs libtorch.
    /// </summary>
    private static Tensor? SmallBatch(CastingScope? scope, params (Tensor X, Tensor W, Tensor? Bias)[] terms)
    {
        if (!SmallBatchGemv.Accepts(terms)) return null;
        if (scope is not null)
        {
            // The kernel reads bfloat16 weights; a float16 scope (CUDA's type) keeps libtorch's path.
            if (scope.DType != ScalarType.BFloat16) return null;
            for (int i = 0; i < terms.Length; i++) terms[i] = (terms[i].X, scope.Weight(terms[i].W), terms[i].Bias);
        }
        return SmallBatchGemv.LinearSum(terms, get_num_threads());
    }

    /// <summary>1-d convolution (cross-correlation) with zero padding.</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias, long stride = 1, long padding = 0, long dilation = 1)
    {
        var scope = CastingScope.Current;
        CheckLayer(input, weight, bias, scope);
        if (scope is not null && IsSmallAtInference(input, weight, bias)) scope = null;
        MlNetTts.Runtime.Nnpack.EnsureDisabled();
        // On CPU, libtorch 2.10's own conv1d is used only for float32 with in and out channels both multiples
        // of 16; everything else runs as im2col + matmul:
        // - float32 (oneDNN, 2+ intra-op threads): oneDNN copies activations into blocked layouts whose channel
        //   count is padded to the SIMD block (8 on AVX2, 16 on AVX-512) and leaves the padding lanes unwritten;
        //   they meet zero weights in the sum, so whatever freed memory held leaks in: 0 * NaN = NaN (measured:
        //   a 20 -> 32 channel conv1d gave NaN in 26 of 40 calls after NaN-filled tensors were freed; 1 thread,
        //   or 32 -> 32 channels, never did). In the backward pass the output channels are the summed ones,
        //   hence both. This made Tacotron 2 training intermittently NaN and run-to-run different
        //   (Conv1dFreedMemoryTests). With no padding lanes oneDNN is safe and ~4x faster than im2col.
        // - bfloat16: wrong values for many shapes (measured on avx512_bf16: 20-100% relative error
        //   whenever out_channels < 64, and for some larger ones).
        // The matmul is right and repeatable for every shape and dtype tried.
        bool asMatmul = input.device_type == TorchSharp.DeviceType.CPU
            && (scope is not null || weight.shape[0] % 16 != 0 || weight.shape[1] % 16 != 0);
        if (scope is null)
            return asMatmul ? Conv1dAsMatmul(input, weight, bias, stride, padding, dilation)
                : nn.functional.conv1d(input, weight, bias, stride, padding, dilation);
        using var x = input.to(scope.DType);
        var w = scope.Weight(weight);
        var b = bias is null ? null : scope.Weight(bias);
        using var y = asMatmul
            ? Conv1dAsMatmul(x, w, b, stride, padding, dilation)
            : nn.functional.conv1d(x, w, b, stride, padding, dilation);
        return y.to(input.dtype);
    }

    /// <summary>
    /// Inputs, weights and bias are floating point on one device; outside a scope they must also share the weight's
    /// dtype (inside one they are all cast to the scope's type).
    /// </summary>
    private static void CheckLayer(Tensor input, Tensor weight, Tensor? bias, CastingScope? scope)
    {
        TensorCheck.Floating(weight, nameof(weight));
        TensorCheck.Floating(input, nameof(input));
        TensorCheck.OnDevice(input, weight.device, nameof(input), "the weight's device");
        if (bias is not null)
        {
            TensorCheck.Floating(bias, nameof(bias));
            TensorCheck.OnDevice(bias, weight.device, nameof(bias), "the weight's device");
        }
        if (scope is not null) return;
        TensorCheck.DType(input, weight.dtype, nameof(input), "the weight's dtype, outside a CastingScope");
        if (bias is not null) TensorCheck.DType(bias, weight.dtype, nameof(bias), "the weight's dtype, outside a CastingScope");
    }

    /// <summary>conv1d as one matmul over columns: stacked shifted taps (stride 1), else unfold: (N, Cin, L) -> columns (N, Lout, Cin*K) @ W(Cout, Cin*K)^T.</summary>
    internal static Tensor Conv1dAsMatmul(Tensor input, Tensor weight, Tensor? bias, long stride, long padding, long dilation)
    {
        using var scope = NewDisposeScope();
        long n = input.shape[0], cin = input.shape[1], cout = weight.shape[0], k = weight.shape[2];
        // A pointwise conv needs no columns: W (Cout, Cin) @ x (N, Cin, L) directly, output contiguous (N, Cout, L).
        if (k == 1 && stride == 1 && padding == 0)
        {
            var w2 = weight.reshape(cout, cin);
            var pointwise = bias is null ? w2.matmul(input)
                : n == 1 ? addmm(bias.unsqueeze(-1), w2, input[0], 1, 1).unsqueeze(0) // the bias rides in the GEMM
                : w2.matmul(input) + bias.unsqueeze(-1);
            return pointwise.MoveToOuterDisposeScope();
        }
        var padded = padding > 0 ? nn.functional.pad(input, new[] { padding, padding }) : input;
        if (stride == 1)
        {
            // Stacked taps: row j*Cin + c of the columns holds x[c, t + j*dilation] (K shifted slices), the weight
            // reordered to (Cout, K*Cin) to match: one GEMM straight into (N, Cout, Lout), and a backward of slices
            // and a concatenation, where unfold's is a scatter (bf16 WaveGlow training spent most of its time there).
            long steps = padded.shape[2] - dilation * (k - 1);
            var taps = new Tensor[k];
            for (long j = 0; j < k; j++) taps[j] = padded.narrow(2, j * dilation, steps);
            var stacked = cat(taps, 1);
            var reordered = weight.permute(0, 2, 1).reshape(cout, k * cin);
            var output = reordered.matmul(stacked);
            if (bias is not null) output = output + bias.unsqueeze(-1);
            return output.MoveToOuterDisposeScope();
        }
        long span = dilation * (k - 1) + 1;
        var windows = padded.unfold(2, span, stride); // (N, Cin, Lout, span)
        if (dilation > 1) windows = windows.index(TensorIndex.Ellipsis, TensorIndex.Slice(0, null, dilation));
        long lout = windows.shape[2];
        var columns = windows.permute(0, 2, 1, 3).reshape(n, lout, cin * k);
        var y = columns.matmul(weight.reshape(cout, cin * k).t());
        if (bias is not null) y = y + bias;
        return y.transpose(1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Matrix product of two activations.</summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        var scope = CastingScope.Current;
        TensorCheck.Floating(a, nameof(a));
        TensorCheck.Floating(b, nameof(b));
        TensorCheck.OnDevice(b, a.device, nameof(b), "a's device");
        // Outside a scope the operands meet as they are; mixed dtypes would abort the process in libtorch.
        if (scope is null) TensorCheck.DType(b, a.dtype, nameof(b), "a's dtype, outside a CastingScope");
        if (scope is null) return a.matmul(b);
        // A vector-times-matrix product (the attention context, every decoder step) stays float32, in training
        // too: it is bound by reading the matrix, and casting the matrix (and its gradient back) each call costs
        // more than the product (bf16 Tacotron 2 training: the attention step took 1.7x its float32 time).
        if (a.dim() >= 2 && a.shape[^2] == 1 && a.dtype == b.dtype) return a.matmul(b);
        using var a16 = a.to(scope.DType);
        using var b16 = b.to(scope.DType);
        using var y = a16.matmul(b16);
        return y.to(a.dtype);
    }

    /// <summary>
    /// The cell update from float32 gate sums (B, 4H) on CPU, vectorised in place of the ~12 libtorch ops the
    /// general path takes (at batch 1 those ops cost more than their arithmetic): same formulas, same order.
    /// </summary>
    private static (Tensor H, Tensor C) LstmGateMath(Tensor gates, Tensor c)
    {
        long batch = c.shape[0], hidden = c.shape[1];
        var hNext = empty(batch, hidden, dtype: ScalarType.Float32);
        var cNext = empty(batch, hidden, dtype: ScalarType.Float32);
        LstmGateMath(MemoryMarshal.Cast<byte, float>(gates.bytes), MemoryMarshal.Cast<byte, float>(c.bytes),
            MemoryMarshal.Cast<byte, float>(hNext.bytes), MemoryMarshal.Cast<byte, float>(cNext.bytes), (int)batch, (int)hidden);
        return (hNext, cNext);
    }

    /// <summary>
    /// The cell update over float32 buffers: gate sums (B, 4H), overwritten with their activations; c (B, H); the new
    /// h and c (B, H) each (<paramref name="cNext"/> may be <paramref name="c"/> itself).
    /// </summary>
    internal static void LstmGateMath(Span<float> gates, ReadOnlySpan<float> c, Span<float> hNext, Span<float> cNext, int batch, int hidden)
    {
        int n = hidden;
        for (int b = 0; b < batch; b++)
        {
            var row = gates.Slice(b * 4 * n, 4 * n);
            Span<float> input = row[..n], forget = row.Slice(n, n), cell = row.Slice(2 * n, n), output = row.Slice(3 * n, n);
            TensorPrimitives.Sigmoid(input, input);
            TensorPrimitives.Sigmoid(forget, forget);
            TensorPrimitives.Tanh(cell, cell);
            TensorPrimitives.Sigmoid(output, output);
            var cb = cNext.Slice(b * n, n);
            var hb = hNext.Slice(b * n, n);
            TensorPrimitives.Multiply(forget, c.Slice(b * n, n), cb); // f * c
            TensorPrimitives.MultiplyAdd(input, cell, cb, cb);          // + i * g
            TensorPrimitives.Tanh(cb, hb);
            TensorPrimitives.Multiply(output, hb, hb);                  // o * tanh(c')
        }
    }

    /// <summary>
    /// One LSTM cell step with PyTorch's gate order (input, forget, cell, output) and its CPU math:
    /// gates = x W_ih^T + b_ih + h W_hh^T + b_hh. Returns the new (h, c); c stays float32 throughout.
    /// </summary>
    public static (Tensor H, Tensor C) LstmCell(Tensor input, Tensor h, Tensor c, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh)
    {
        TensorCheck.Floating(input, nameof(input));
        TensorCheck.DType(h, input.dtype, nameof(h), "the input's dtype");
        TensorCheck.DType(c, input.dtype, nameof(c), "the input's dtype");
        using var scope = NewDisposeScope();
        if (SmallBatch(CastingScope.Current, (input, weightIh, biasIh), (h, weightHh, biasHh)) is { } fused)
        {
            var (hFused, cFused) = LstmGateMath(fused, c.is_contiguous() ? c : c.contiguous());
            return (hFused.MoveToOuterDisposeScope(), cFused.MoveToOuterDisposeScope());
        }
        var (hNext, cNext) = LstmGates(Linear(input, weightIh, biasIh, smallLayersStayFloat32: false) + Linear(h, weightHh, biasHh, smallLayersStayFloat32: false), c);
        return (hNext.MoveToOuterDisposeScope(), cNext.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The cell update from gate sums (B, 4H) in PyTorch's order (input, forget, cell, output) as libtorch ops, so
    /// autograd records it: c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
    /// </summary>
    internal static (Tensor H, Tensor C) LstmGates(Tensor gates, Tensor c)
    {
        var chunks = gates.chunk(4, dim: 1);
        var i = chunks[0].sigmoid();
        var f = chunks[1].sigmoid();
        var g = chunks[2].tanh();
        var o = chunks[3].sigmoid();
        var cNext = f * c + i * g;
        return (o * cNext.tanh(), cNext);
    }
}
