using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The second half of an attention step on CPU in float32 as one autograd node with a hand-written backward:
/// energies <c>e = v · tanh(q + loc + m)</c>, padded steps excluded, <c>α = softmax(e)</c>, context <c>α · memory</c>.
/// In teacher-forced training these are ~10 small libtorch ops forward and ~20 backward per decoder step, each a
/// few tens of microseconds of dispatch at batch 8 (the training profile's "attention step" was a quarter of the
/// decoder loop); here each direction is one pass over the (B, T, A) energies. Same math as
/// <see cref="Attention.Step"/>'s libtorch ops (tests compare outputs and every gradient).
/// </summary>
internal static class AttentionContext
{
    /// <summary>Off: <see cref="Attention.Step"/> uses libtorch ops (tests and benchmarks compare both).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether the fused node takes these operands: CPU float32 throughout.</summary>
    public static bool Accepts(Tensor processedQuery, Tensor processedLocation, Tensor processedMemory, Tensor v, Tensor memory) =>
        Enabled
        && processedQuery.device_type == TorchSharp.DeviceType.CPU
        && processedQuery.dtype == ScalarType.Float32 && processedLocation.dtype == ScalarType.Float32
        && processedMemory.dtype == ScalarType.Float32 && v.dtype == ScalarType.Float32 && memory.dtype == ScalarType.Float32
        && processedQuery.dim() == 2 && processedLocation.dim() == 3 && processedMemory.dim() == 3 && memory.dim() == 3
        && v.numel() == processedQuery.shape[1];

    /// <summary>
    /// processed query (B, A), processed location and memory (B, T, A), v (1, A) or (A), memory (B, T, E), mask (B, T)
    /// true at padded steps or null -> context (B, E), weights (B, T).
    /// </summary>
    public static (Tensor Context, Tensor Weights) Compute(Tensor processedQuery, Tensor processedLocation, Tensor processedMemory, Tensor v, Tensor memory, Tensor? mask)
    {
        bool[]? padded = mask is null ? null : mask.to(ScalarType.Bool).cpu().contiguous().data<bool>().ToArray();
        var outputs = Node.apply(processedQuery, processedLocation, processedMemory, v, memory, new Padding(padded));
        return (outputs[0], outputs[1]);
    }

    /// <summary>The mask as host booleans (autograd data, not a tensor).</summary>
    private sealed record Padding(bool[]? Steps);

    private static bool Defined(Tensor? t) => t is not null && !t.IsInvalid;

    private sealed class Node : autograd.MultiTensorFunction<Node>
    {
        public override string Name => nameof(AttentionContext);

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var q = ((Tensor)vars[0]).detach().contiguous();
            var loc = ((Tensor)vars[1]).detach().contiguous();
            var m = ((Tensor)vars[2]).detach().contiguous();
            var v = ((Tensor)vars[3]).detach().reshape(-1).contiguous();
            var memory = ((Tensor)vars[4]).detach().contiguous();
            var padding = (Padding)vars[5];
            int batch = (int)loc.shape[0], steps = (int)loc.shape[1], dim = (int)loc.shape[2], width = (int)memory.shape[2];
            if (q.shape[0] != batch || q.shape[1] != dim || m.shape[0] != batch || m.shape[1] != steps || m.shape[2] != dim
                || memory.shape[0] != batch || memory.shape[1] != steps || (padding.Steps is { } p && p.Length != batch * steps))
                throw new ArgumentException($"Attention shapes disagree: query [{string.Join(", ", q.shape)}], location [{string.Join(", ", loc.shape)}], "
                    + $"processed memory [{string.Join(", ", m.shape)}], memory [{string.Join(", ", memory.shape)}].");

            var tanh = empty(batch, steps, dim);       // tanh(q + loc + m), kept for the backward
            var weights = zeros(batch, steps);
            var context = zeros(batch, width);
            // Items are independent: the intra-op threads take one in every `parts` each (each writes only its own rows).
            int parts = Math.Min(batch, get_num_threads());
            KernelWorkers.Run(parts, part =>
            {
                var qs = TensorMemory.Floats(q); var ls = TensorMemory.Floats(loc); var ms = TensorMemory.Floats(m); var vs = TensorMemory.Floats(v); var mem = TensorMemory.Floats(memory);
                var ts = TensorMemory.Floats(tanh); var ws = TensorMemory.Floats(weights); var cs = TensorMemory.Floats(context);
                for (int b = part; b < batch; b += parts)
                {
                    var qb = qs.Slice(b * dim, dim);
                    var wb = ws.Slice(b * steps, steps);
                    float max = float.NegativeInfinity;
                    for (int t = 0; t < steps; t++)
                    {
                        int row = (b * steps + t) * dim;
                        var s = ts.Slice(row, dim);
                        TensorPrimitives.Add(ls.Slice(row, dim), ms.Slice(row, dim), s);
                        TensorPrimitives.Add(s, qb, s);
                        TensorPrimitives.Tanh(s, s);
                        if (padding.Steps?[b * steps + t] == true) { wb[t] = float.NegativeInfinity; continue; }
                        wb[t] = TensorPrimitives.Dot(s, vs);
                        max = MathF.Max(max, wb[t]);
                    }
                    // Softmax over the unpadded steps (a padded step's -inf gives exactly 0, as the reference's masked_fill).
                    float sum = 0;
                    for (int t = 0; t < steps; t++)
                    {
                        wb[t] = float.IsNegativeInfinity(wb[t]) ? 0 : MathF.Exp(wb[t] - max);
                        sum += wb[t];
                    }
                    TensorPrimitives.Divide(wb, sum, wb);
                    var cb = cs.Slice(b * width, width);
                    for (int t = 0; t < steps; t++)
                        if (wb[t] != 0) TensorPrimitives.MultiplyAdd(mem.Slice((b * steps + t) * width, width), wb[t], cb, cb);
                }
            });
            // The weights go to the graph as a copy: a saved output of this very node would point back at it.
            ctx.save_for_backward([tanh, weights.clone(), v, memory]);
            ctx.save_data("v shape", ((Tensor)vars[3]).shape);
            // An unused output's gradient stays undefined (read as zeros below): materialising it would need the output
            // tensor, which the decoder disposes after the step.
            ctx.set_materialize_grads(false);
            return [context, weights];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            var saved = ctx.get_saved_variables();
            try
            {
                using var scope = NewDisposeScope();
                var (tanh, weights, v, memory) = (saved[0], saved[1], saved[2], saved[3]);
                int batch = (int)tanh.shape[0], steps = (int)tanh.shape[1], dim = (int)tanh.shape[2], width = (int)memory.shape[2];
                var gContext = Defined(gradOutputs[0]) ? gradOutputs[0].to(ScalarType.Float32).contiguous() : zeros(batch, width);
                var gWeights = Defined(gradOutputs[1]) ? gradOutputs[1].to(ScalarType.Float32).contiguous() : zeros(batch, steps);
                var dq = zeros(batch, dim);
                var dLocation = empty(batch, steps, dim);
                var dMemory = empty(batch, steps, width);
                // Items split as in the forward; v's gradient sums per thread, then across the threads,
                // in a fixed order whatever the timing.
                int parts = Math.Min(batch, get_num_threads());
                var dvParts = zeros(parts, dim);
                KernelWorkers.Run(parts, part =>
                {
                    var ts = TensorMemory.Floats(tanh); var ws = TensorMemory.Floats(weights); var vs = TensorMemory.Floats(v); var mem = TensorMemory.Floats(memory);
                    var gc = TensorMemory.Floats(gContext); var gw = TensorMemory.Floats(gWeights);
                    var dqs = TensorMemory.Floats(dq); var dls = TensorMemory.Floats(dLocation); var dms = TensorMemory.Floats(dMemory);
                    var dvs = TensorMemory.Floats(dvParts).Slice(part * dim, dim);
                    var energyGrad = new float[steps];
                    for (int b = part; b < batch; b += parts)
                    {
                        var gcb = gc.Slice(b * width, width);
                        var wb = ws.Slice(b * steps, steps);
                        // dL/dα_t = (its own gradient) + memory_t · dL/dcontext; softmax: dL/de_t = α_t (dL/dα_t - Σ α dL/dα).
                        float weighted = 0;
                        for (int t = 0; t < steps; t++)
                        {
                            int row = (b * steps + t) * width;
                            energyGrad[t] = gw[b * steps + t] + TensorPrimitives.Dot(mem.Slice(row, width), gcb);
                            weighted += wb[t] * energyGrad[t];
                            TensorPrimitives.Multiply(gcb, wb[t], dms.Slice(row, width));
                        }
                        var dqb = dqs.Slice(b * dim, dim);
                        for (int t = 0; t < steps; t++)
                        {
                            float de = wb[t] * (energyGrad[t] - weighted);
                            int row = (b * steps + t) * dim;
                            var s = ts.Slice(row, dim);
                            var ds = dls.Slice(row, dim);
                            // d tanh = (1 - s²) · de · v
                            TensorPrimitives.Multiply(s, s, ds);
                            TensorPrimitives.Subtract(1f, ds, ds);
                            TensorPrimitives.Multiply(ds, vs, ds);
                            TensorPrimitives.Multiply(ds, de, ds);
                            TensorPrimitives.Add(dqb, ds, dqb);
                            TensorPrimitives.MultiplyAdd(s, de, dvs, dvs);
                        }
                    }
                });
                var dv = dvParts.sum(0L, keepdim: false); // 0L: a plain 0 converts to ScalarType and sums everything
                // The processed location and the processed memory enter the sum alike: the same gradient, own tensors.
                var dProcessedMemory = dLocation.clone();
                var dV = dv.reshape((long[])ctx.get_data("v shape"));
                return [dq.MoveToOuterDisposeScope(), dLocation.MoveToOuterDisposeScope(), dProcessedMemory.MoveToOuterDisposeScope(),
                    dV.MoveToOuterDisposeScope(), dMemory.MoveToOuterDisposeScope(), null!];
            }
            finally
            {
                foreach (var t in saved) t.Dispose();
            }
        }
    }
}
