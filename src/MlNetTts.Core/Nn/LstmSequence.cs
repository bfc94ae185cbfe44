using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// One LSTM cell's weights used over a whole teacher-forced sequence with gradients on, with the weight gradients
/// computed once per sequence instead of once per step. Autograd would give each step's <c>x W^T</c> its own
/// (4H, in) weight gradient <c>g_t^T x_t</c> (a K = batch outer product) and add it to the running sum: 400 steps of
/// the Tacotron 2 decoder write and re-read ~70 MB of gradients each. Here the steps use the weights detached (autograd
/// then records only the input gradients, <c>g_t W</c>), each step's <c>[x_t, h_t]</c> is kept, and one node fed by
/// the parameters computes <c>dW = Σ_t g_tᵀ [x_t, h_t]</c> as one GEMM over all steps (as cuDNN's RNN backward
/// does) and <c>db = Σ_t g_t</c>. Same math as <see cref="Cast.LstmCell"/>, sums reordered; per step one fused
/// product <c>[x, h] [W_ih, W_hh]ᵀ</c>. Honours the <see cref="CastingScope"/> active when created (16-bit products,
/// float32 gates and cell state; the weight gradient is computed in the 16-bit type and returned as float32).
/// </summary>
internal sealed class LstmSequence
{
    private readonly Tensor _weightT;   // (in + H, 4H), detached, in the compute type (a transposed view for libtorch)
    private readonly Tensor? _weight;   // (4H, in + H) for SmallBatchGemv, or null when another path multiplies
    private readonly Tensor? _panels;   // W packed for PanelGemm (forward x Wᵀ), or null
    private readonly Tensor? _panelsT;  // Wᵀ packed for PanelGemm (backward g W), or null
    private readonly Tensor[] _biasAndSink;  // per step (B, 4H) views: value b_ih + b_hh, gradient -> the weights' node
    private readonly ScalarType? _computeType;
    private readonly Recorded _recorded;

    private LstmSequence(Tensor weightT, Tensor? weight, Tensor? panels, Tensor? panelsT, Tensor[] biasAndSink, ScalarType? computeType, Recorded recorded)
    {
        _weightT = weightT;
        _weight = weight;
        _panels = panels;
        _panelsT = panelsT;
        _biasAndSink = biasAndSink;
        _computeType = computeType;
        _recorded = recorded;
    }

    /// <summary>Whether this sequence multiplies through <see cref="PanelGemm"/> (tests).</summary>
    internal bool UsesPanels => _panels is not null;

    /// <summary>Off: training steps every cell with <see cref="Cast.LstmCell"/> (benchmarks compare both in one run).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether the deferred form applies: gradients are being recorded for these weights. Otherwise callers step
    /// with <see cref="Cast.LstmCell"/>.
    /// </summary>
    public static bool Applies(Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh) =>
        Enabled && is_grad_enabled() && (weightIh.requires_grad || weightHh.requires_grad || biasIh.requires_grad || biasHh.requires_grad);

    /// <summary>
    /// Starts a sequence of <paramref name="steps"/> steps of batch <paramref name="batch"/>. Its tensors belong to the
    /// caller's dispose scope; the recorded step inputs belong to the graph and are freed by its backward pass (or
    /// by the finalizer when no backward runs).
    /// </summary>
    public static LstmSequence Start(Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh, long steps, long batch)
    {
        var scope = CastingScope.Current;
        var recorded = new Recorded(weightIh.shape[1], scope?.DType, (int)steps);
        Tensor weightT;
        Tensor? weight = null, panels = null, panelsT = null;
        using (no_grad())
        {
            var w = cat([weightIh.detach(), weightHh.detach()], 1);
            if (scope is not null) w = w.to(scope.DType);
            weightT = w.t();
            // At batch <= 8 the per-step products (x Wᵀ forward, g W backward) are bound by the weight read, and
            // libtorch reads at a fraction of the bandwidth there (float32 ~8-11 GB/s, oneDNN's bfloat16 ~17-22):
            // PanelGemm reads W and Wᵀ packed once per sequence at 44-49 GB/s, float32 or bfloat16 (suite
            // training-products, 2026-12-05). SmallBatchGemv (float32, unpacked) covers shapes the panels do not.
            if (UsePanels(w, batch))
            {
                panels = PanelGemm.Pack(w);
                panelsT = PanelGemm.PackTransposed(w);
            }
            else if (UseSmallBatchKernel(weightIh, batch, scope))
            {
                weight = w;
                weightT = w.t().contiguous();
            }
        }
        var sink = WeightGradient.apply(weightIh, weightHh, biasIh, biasHh, recorded, steps, batch);
        return new LstmSequence(weightT, weight, panels, panelsT, sink.unbind(0), scope?.DType, recorded);
    }

    /// <summary>Step <paramref name="t"/>: input (B, in), state (B, H) each -> new (h, c), float32.</summary>
    public (Tensor H, Tensor C) Step(int t, Tensor input, Tensor h, Tensor c)
    {
        using var scope = NewDisposeScope();
        var xh = cat([input, h], 1);
        Tensor gates;
        if (_panels is not null)
        {
            // Float32 activations against 16-bit or float32 weights, float32 sums; the weight gradient still takes
            // the inputs in the compute type.
            _recorded.Add(t, _computeType is { } type16 ? xh.to(type16) : xh);
            gates = PanelProduct.apply(xh, this) + _biasAndSink[t];
        }
        else if (_weight is not null)
        {
            _recorded.Add(t, xh);
            gates = ConstantWeightProduct.apply(xh, this) + _biasAndSink[t];
        }
        else
        {
            if (_computeType is { } type) xh = xh.to(type);
            _recorded.Add(t, xh);
            gates = _computeType is null ? _biasAndSink[t].addmm(xh, _weightT) : xh.matmul(_weightT).to(ScalarType.Float32) + _biasAndSink[t];
        }
        var (hNext, cNext) = Cast.LstmGates(gates, c);
        return (hNext.MoveToOuterDisposeScope(), cNext.MoveToOuterDisposeScope());
    }

    /// <summary>Off: libtorch multiplies every step (benchmarks and tests compare the paths in one run).</summary>
    internal static bool SmallBatchKernel { get; set; } = true;

    /// <summary>Off: the packed-panel kernel is skipped (float32 then takes SmallBatchGemv, bfloat16 libtorch).</summary>
    internal static bool PanelKernel { get; set; } = true;

    private static bool UsePanels(Tensor w, long batch) =>
        SmallBatchKernel && PanelKernel && PanelGemm.IsSupported && batch <= PanelGemm.MaxBatch && w.device_type == TorchSharp.DeviceType.CPU
        && w.dtype is ScalarType.Float32 or ScalarType.BFloat16 && PanelGemm.CanPack(w.shape[0], w.shape[1]) && PanelGemm.CanPack(w.shape[1], w.shape[0]);

    private static bool UseSmallBatchKernel(Tensor weight, long batch, CastingScope? scope) =>
        SmallBatchKernel && SmallBatchGemv.IsSupported && batch <= SmallBatchGemv.MaxBatch && weight.device_type == TorchSharp.DeviceType.CPU
        && scope is null;

    /// <summary>
    /// [x, h] (B, in + H) float32 times the sequence's constant packed weights through <see cref="PanelGemm"/>:
    /// forward <c>xh Wᵀ</c>, backward <c>g W</c> (the weights' own gradient is <see cref="WeightGradient"/>'s).
    /// </summary>
    private sealed class PanelProduct : autograd.SingleTensorFunction<PanelProduct>
    {
        public override string Name => nameof(LstmSequence) + "." + nameof(PanelProduct);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var sequence = (LstmSequence)vars[1];
            // The graph holds the backward panels (the sequence's own tensors die with the forward's dispose scope).
            ctx.save_for_backward([sequence._panelsT!]);
            using var x = ((Tensor)vars[0]).detach();
            return PanelGemm.Multiply(x, sequence._panels!, get_num_threads());
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            try
            {
                using var g = gradOutput.dtype == ScalarType.Float32 ? gradOutput.detach() : gradOutput.to(ScalarType.Float32);
                return [PanelGemm.Multiply(g, saved[0], get_num_threads()), null!];
            }
            finally
            {
                foreach (var t in saved) t.Dispose();
            }
        }
    }

    /// <summary>
    /// [x, h] (B, in + H) float32 times the sequence's constant float32 weights through <see cref="SmallBatchGemv"/>: forward
    /// <c>xh Wᵀ</c>, backward <c>g W</c> (the weights' own gradient is <see cref="WeightGradient"/>'s).
    /// </summary>
    private sealed class ConstantWeightProduct : autograd.SingleTensorFunction<ConstantWeightProduct>
    {
        public override string Name => nameof(LstmSequence) + "." + nameof(ConstantWeightProduct);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var sequence = (LstmSequence)vars[1];
            // The graph holds the transposed weights (the sequence's own tensors die with the forward's dispose scope).
            ctx.save_for_backward([sequence._weightT]);
            return Multiply((Tensor)vars[0], sequence._weight!);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            try
            {
                return [Multiply(gradOutput, saved[0]), null!];
            }
            finally
            {
                foreach (var t in saved) t.Dispose();
            }
        }

        /// <summary>x (B, K) times W (N, K)ᵀ, float32; libtorch when the kernel declines the operands.</summary>
        private static Tensor Multiply(Tensor x, Tensor w)
        {
            using var detached = x.detach();
            (Tensor, Tensor, Tensor?)[] terms = [(detached, w, null)];
            return SmallBatchGemv.Accepts(terms) ? SmallBatchGemv.LinearSum(terms, get_num_threads()) : detached.matmul(w.t());
        }
    }

    /// <summary>The steps' <c>[x_t, h_t]</c> (detached, in the compute type), kept for the weight gradient.</summary>
    private sealed class Recorded(long inputSize, ScalarType? computeType, int steps)
    {
        private readonly Tensor?[] _inputs = new Tensor?[steps];

        public long InputSize { get; } = inputSize;

        public ScalarType? ComputeType { get; } = computeType;

        public void Add(int t, Tensor xh) => _inputs[t] = xh.detach().DetachFromDisposeScope();

        /// <summary>(T*B, in + H) of all steps, freeing the per-step copies.</summary>
        public Tensor TakeAll()
        {
            var inputs = new Tensor[_inputs.Length];
            for (int t = 0; t < inputs.Length; t++)
                inputs[t] = _inputs[t] ?? throw new InvalidOperationException($"LSTM sequence step {t} of {inputs.Length} never ran; its weight gradient is undefined.");
            var all = cat(inputs, 0);
            foreach (var x in inputs) x.Dispose();
            Array.Clear(_inputs);
            return all;
        }
    }

    /// <summary>
    /// Forward: (T, B, 4H) filled with b_ih + b_hh. Backward, given G = ∂L/∂(that tensor) = the gates' gradients of
    /// all steps: dW_ih | dW_hh = Gᵀ [X | H], db_ih = db_hh = Σ G.
    /// </summary>
    private sealed class WeightGradient : autograd.SingleTensorFunction<WeightGradient>
    {
        public override string Name => nameof(LstmSequence) + "." + nameof(WeightGradient);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var biasIh = (Tensor)vars[2];
            var biasHh = (Tensor)vars[3];
            ctx.save_data("recorded", vars[4]);
            long steps = (long)vars[5], batch = (long)vars[6];
            using var bias = biasIh + biasHh;
            return bias.expand(steps, batch, bias.shape[0]).contiguous();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var recorded = (Recorded)ctx.get_data("recorded");
            using var scope = NewDisposeScope();
            long fourH = gradOutput.shape[2];
            var g = gradOutput.reshape(-1, fourH);
            var inputs = recorded.TakeAll();
            if (recorded.ComputeType is { } type) g = g.to(type);
            var dW = g.t().matmul(inputs).to(ScalarType.Float32);
            var dWih = dW.narrow(1, 0, recorded.InputSize).contiguous();
            var dWhh = dW.narrow(1, recorded.InputSize, dW.shape[1] - recorded.InputSize).contiguous();
            var db = gradOutput.reshape(-1, fourH).sum(dim: 0);
            var dbHh = db.clone();
            // One entry per forward argument; none for the non-tensor ones.
            return [dWih.MoveToOuterDisposeScope(), dWhh.MoveToOuterDisposeScope(), db.MoveToOuterDisposeScope(), dbHh.MoveToOuterDisposeScope(), null!, null!, null!];
        }
    }
}
