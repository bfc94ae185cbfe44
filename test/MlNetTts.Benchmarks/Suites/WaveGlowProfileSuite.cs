using System.Diagnostics;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// Where WaveGlow inference time goes (full 256-channel config, 200-frame mel, batch 1). Part one times each
/// kind of layer alone, in the ways it can be computed (libtorch conv1d, im2col + matmul, GEMMs over a
/// (time, channels) layout), with the GFLOP/s each reaches; part two times a whole
/// <see cref="WaveGlowModel.Infer(Tensor, double, Generator?)"/> split by part with stopwatches.
/// </summary>
public sealed class WaveGlowProfileSuite : IBenchmarkSuite
{
    private const int Frames = 200;

    /// <summary>Only the part rows whose name contains this (environment WAVEGLOW_PROFILE_ONLY), for iterating on one layer.</summary>
    private static readonly string? Only = Environment.GetEnvironmentVariable("WAVEGLOW_PROFILE_ONLY");

    public string Name => "waveglow-profile";

    public string Description => $"WaveGlow 256 inference ({Frames}-frame mel) split by layer kind and formulation, fp32 and bf16";

    public ResultTable Run(bool quick)
    {
        var table = new ResultTable($"WaveGlow inference parts (256 channels, {Frames} frames, batch 1, {get_num_threads()} threads; median of {(quick ? 3 : 7)})",
            "part", "dtype", "calls/infer", "ms/call", "ms/infer", "GFLOP/s", "page faults/call");
        manual_seed(1);
        var config = new WaveGlowConfig();
        long c = config.WN.NChannels, kernel = config.WN.KernelSize, mel = (long)config.NMelChannels * config.NGroup;
        long groups = Frames * (long)config.UpsampleStride / config.NGroup;
        long layers = config.NFlows * (long)config.WN.NLayers;
        int reps = quick ? 3 : 7;
        using var noGrad = no_grad();

        // One whole WN (the first flow's): NVIDIA's op order (forward) against the inference path (Infer), before and
        // after NativeHeap keeps freed memory in the process; both paths must agree.
        using (var wnScope = NewDisposeScope())
        {
            var wn = new WaveNet(config.NGroup / 2, mel, config.WN, weightNorm: false);
            wn.eval();
            foreach (var p in wn.parameters()) p.normal_(0, 0.05);
            var audio = randn(1, config.NGroup / 2, groups);
            var spectWn = randn(1, groups, mel).permute(0, 2, 1);
            double wnFlop = config.WN.NLayers * (2.0 * 2 * c * c * kernel + 2.0 * 2 * c * mel + 2.0 * 2 * c * c) * groups;
            foreach (bool retained in Only is null or "WN" ? new[] { false, true } : [])
            {
                if (retained) NativeHeap.RetainFreedMemory();
                foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
                {
                    string heap = retained ? "freed memory kept" : "default heap";
                    Tensor Old() { using var cast = precision.Enter(audio.device); return wn.call(audio, spectWn); }
                    Tensor New()
                    {
                        using var cast = precision.Enter(audio.device);
                        var type = cast?.DType ?? ScalarType.Float32;
                        var w = wn.PrepareInference(cast);
                        var taps = empty(new[] { 1, wn.KernelSize * wn.Channels, groups }, type);
                        return wn.Infer(audio, spectWn.to(type).contiguous(), w, taps);
                    }
                    double diff;
                    using (var check = NewDisposeScope()) diff = (Old() - New()).abs().max().item<float>();
                    foreach (var (label, op) in new (string, Func<Tensor>)[] { ("forward (NVIDIA op order)", Old), ("Infer (stacked taps)", New) })
                    {
                        long faults = MinorFaults();
                        var (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); op(); }, warmup: 1, repetitions: reps);
                        faults = (MinorFaults() - faults) / (reps + 1);
                        table.Add($"one WN, {label}, {heap}; max diff {diff:G3}", precision.ToString(), config.NFlows, median, median * config.NFlows, wnFlop / (median / 1000) / 1e9, faults);
                    }
                }
            }
        }

        // WAVEGLOW_PROFILE_ONLY=WN or =infer: only the whole-WN rows, or the parts of Infer and its total.
        foreach (var dtype in Only is "WN" or "infer" ? [] : new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var scope = NewDisposeScope();
            var x = randn(1, c, groups).to(dtype);
            var spectTc = randn(1, groups, mel).to(dtype);     // as GroupedConditioning leaves it: (B, T, C) underneath
            var spect = spectTc.permute(0, 2, 1);              // the (B, C, T) view the convs get
            var spectContiguous = spect.contiguous();
            var wIn = (randn(2 * c, c, kernel) * 0.02).to(dtype);
            var bIn = zeros(2 * c).to(dtype);
            var wCond = (randn(2 * c, mel, 1) * 0.02).to(dtype);
            var wRes = (randn(2 * c, c, 1) * 0.02).to(dtype);
            string d = dtype == ScalarType.Float32 ? "fp32" : "bf16";
            double inFlop = 2.0 * 2 * c * c * kernel * groups, condFlop = 2.0 * 2 * c * mel * groups, resFlop = 2.0 * 2 * c * c * groups;

            void Row(string part, double flop, Func<Tensor> op)
            {
                if (Only is { } only && !part.Contains(only, StringComparison.Ordinal)) return;
                long faults = MinorFaults();
                var (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); op(); }, warmup: 1, repetitions: reps);
                faults = (MinorFaults() - faults) / (reps + 1);
                table.Add(part, d, layers, median, median * layers, flop / (median / 1000) / 1e9, faults);
            }

            foreach (long dilation in new long[] { 1, 1L << (config.WN.NLayers - 1) })
            {
                long pad = dilation * (kernel - 1) / 2;
                if (dtype == ScalarType.Float32)
                    Row($"in_layer d={dilation}: libtorch conv1d", inFlop, () => nn.functional.conv1d(x, wIn, bIn, 1, pad, dilation));
                Row($"in_layer d={dilation}: im2col + matmul", inFlop, () => Cast.Conv1dAsMatmul(x, wIn, bIn, 1, pad, dilation));
                var xTc = x.permute(0, 2, 1).contiguous();
                var taps = Enumerable.Range(0, (int)kernel).Select(k => wIn.select(2, k).t().contiguous()).ToArray();
                Row($"in_layer d={dilation}: (T,C) shifted GEMMs", inFlop, () => ShiftedGemms(xTc, taps, bIn, pad, dilation));
            }
            // in_layer and cond_layer as one 1x1 conv over a buffer: rows [0, K*C) the K dilated shifts of x, then the conditioning.
            {
                long dil = 1L << (config.WN.NLayers - 1), pad = dil * (kernel - 1) / 2;
                var buffer = zeros(1, kernel * c + mel, groups, dtype: dtype);
                buffer.narrow(1, kernel * c, mel).copy_(spect);
                var wFused = cat(new[] { wIn.permute(0, 2, 1).reshape(2 * c, kernel * c), wCond.squeeze(-1) }, 1).contiguous();
                var wFused3 = wFused.unsqueeze(-1);
                void Fill()
                {
                    for (int k = 0; k < kernel; k++)
                    {
                        long shift = k * dil - pad; // output t reads x[t + shift]
                        var rows = buffer.narrow(1, k * c, c);
                        long from = Math.Max(0, -shift), to = Math.Min(groups, groups - shift);
                        if (from > 0) rows.narrow(2, 0, from).zero_();
                        if (to < groups) rows.narrow(2, to, groups - to).zero_();
                        rows.narrow(2, from, to - from).copy_(x.narrow(2, from + shift, to - from));
                    }
                }
                Row("in+cond fused: buffer fill only", 0, () => { Fill(); return buffer; });
                if (dtype == ScalarType.Float32)
                    Row("in+cond fused: fill + conv1d k=1", inFlop + condFlop, () => { Fill(); return nn.functional.conv1d(buffer, wFused3, bIn); });
                if (dtype == ScalarType.Float32)
                {
                    var inOnly = buffer.narrow(1, 0, kernel * c).contiguous();
                    var wStackIn = wIn.permute(0, 2, 1).reshape(2 * c, kernel * c).unsqueeze(-1).contiguous();
                    Row("in_layer: stacked-input conv1d k=1 (no fill)", inFlop, () => nn.functional.conv1d(inOnly, wStackIn, bIn));
                    var wStackOut = wIn.permute(2, 0, 1).reshape(kernel * 2 * c, c, 1).contiguous();
                    Row("in_layer: stacked-output conv1d k=1 + shifted adds", inFlop, () =>
                    {
                        var padded = nn.functional.pad(x, new[] { pad, pad });
                        var y = nn.functional.conv1d(padded, wStackOut, null);
                        var sum = y.narrow(1, 0, 2 * c).narrow(2, 0, groups) + bIn.unsqueeze(-1);
                        for (int k = 1; k < kernel; k++) sum.add_(y.narrow(1, k * 2 * c, 2 * c).narrow(2, k * dil, groups));
                        return sum;
                    });
                    var taps3 = Enumerable.Range(0, (int)kernel).Select(k => wIn.narrow(2, k, 1).contiguous()).ToArray();
                    Row("in_layer: 3 conv1d k=1 on padded x + shifted adds", inFlop, () =>
                    {
                        var padded = nn.functional.pad(x, new[] { pad, pad });
                        Tensor? sum = null;
                        for (int k = 0; k < kernel; k++)
                        {
                            var y = nn.functional.conv1d(padded, taps3[k], k == 0 ? bIn : null).narrow(2, k * dil, groups);
                            sum = sum is null ? y.contiguous() : sum.add_(y);
                        }
                        return sum!;
                    });
                }
                Row("in+cond fused: fill + W@buffer matmul", inFlop + condFlop, () => { Fill(); return addmm(bIn.unsqueeze(-1), wFused, buffer[0], 1, 1); });
                var wRes2 = wRes.squeeze(-1);
                Row("res_skip: W@x matmul", resFlop, () => addmm(bIn.unsqueeze(-1), wRes2, x[0], 1, 1));
                var a2 = randn(1, 2 * c, groups).to(dtype);
                Row("gate in place (tanh_, sigmoid_, mul_)", 0, () => { var lo = a2.narrow(1, 0, c); lo.tanh_(); var hi = a2.narrow(1, c, c); hi.sigmoid_(); return lo.mul_(hi); });
                Row("gate tanh only", 0, () => a2.narrow(1, 0, c).tanh());
            }
            if (dtype == ScalarType.Float32)
            {
                Row("cond_layer: libtorch conv1d, (B,C,T) view of (B,T,C)", condFlop, () => nn.functional.conv1d(spect, wCond, bIn));
                Row("cond_layer: libtorch conv1d, contiguous (B,C,T)", condFlop, () => nn.functional.conv1d(spectContiguous, wCond, bIn));
                Row("res_skip: libtorch conv1d", resFlop, () => nn.functional.conv1d(x, wRes, bIn));
            }
            Row("cond_layer: im2col + matmul", condFlop, () => Cast.Conv1dAsMatmul(spect, wCond, bIn, 1, 0, 1));
            var wCondT = wCond.squeeze(-1).t().contiguous();
            Row("cond_layer: (T,C) GEMM", condFlop, () => addmm(bIn, spectTc[0], wCondT, 1, 1));
            Row("res_skip: im2col + matmul", resFlop, () => Cast.Conv1dAsMatmul(x, wRes, bIn, 1, 0, 1));
            var xTc2 = x.permute(0, 2, 1).contiguous()[0];
            var wResT = wRes.squeeze(-1).t().contiguous();
            Row("res_skip: (T,C) GEMM", resFlop, () => addmm(bIn, xTc2, wResT, 1, 1));
            var a = randn(1, 2 * c, groups).to(dtype);
            Row("gate tanh*sigmoid (B,C,T)", 0, () => a.narrow(1, 0, c).tanh() * a.narrow(1, c, c).sigmoid());
            Row("gate tanh*sigmoid, GatedActivation (ours)", 0, () => GatedActivation.Apply(a, get_num_threads()));
            if (dtype == ScalarType.Float32)
            {
                Row("cast fp32->bf16 (C, T)", 0, () => x.to(ScalarType.BFloat16));
                Row("cast fp32->bf16 (2C, T)", 0, () => a.to(ScalarType.BFloat16));
            }
        }

        // A whole inference with the model, for the total the parts add up to.
        using var model = new WaveGlowModel(config, weightNorm: false);
        model.eval();
        using var melIn = randn(1, config.NMelChannels, Frames) - 5;
        // The parts of Infer outside the WNs.
        if (Only is null or "infer")
        {
            long faults = MinorFaults();
            var (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); model.GroupedConditioning(melIn).contiguous(); }, warmup: 1, repetitions: reps);
            table.Add("upsample + group conditioning (contiguous)", "fp32", 1, median, median, "-", (MinorFaults() - faults) / (reps + 1));
            var conv = model.InvertibleConvs[0];
            var z = randn(1, conv.Channels, groups);
            faults = MinorFaults();
            (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); conv.Reverse(z); }, warmup: 1, repetitions: reps);
            table.Add("invertible 1x1 conv reverse", "fp32", config.NFlows, median, median * config.NFlows, "-", (MinorFaults() - faults) / (reps + 1));
            var half = randn(1, conv.Channels / 2, groups);
            var st = randn(1, conv.Channels, groups);
            (median, _) = Timing.Measure(() =>
            {
                using var s = NewDisposeScope();
                var x1 = (half - st.narrow(1, 0, conv.Channels / 2)) / st.narrow(1, conv.Channels / 2, conv.Channels / 2).exp();
                cat(new[] { half, x1 }, 1);
            }, warmup: 1, repetitions: reps);
            table.Add("coupling (x1 - b) / exp(s), cat", "fp32", config.NFlows, median, median * config.NFlows, "-", "-");
        }
        foreach (var precision in Only is null or "infer" ? new[] { Precision.Float32, Precision.Mixed } : [])
        {
            model.Precision = precision;
            long faults = MinorFaults();
            int runs = quick ? 1 : 3;
            var (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); model.Infer(melIn, 0.6, new Generator(2)); }, warmup: 1, repetitions: runs);
            table.Add($"WaveGlowModel.Infer total ({Frames * config.UpsampleStride / (double)median * 1000:F0} samples/s)", precision.ToString(), 1, median, median, "-", (MinorFaults() - faults) / (runs + 1));
            faults = MinorFaults();
            (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); model.GroupedConditioning(melIn).contiguous(); }, warmup: 1, repetitions: reps);
            table.Add("upsample + group conditioning, after Infer", "fp32", 1, median, median, "-", (MinorFaults() - faults) / (reps + 1));
            faults = MinorFaults();
            (median, _) = Timing.Measure(() => { using var s = NewDisposeScope(); using var ng = no_grad(); model.Upsampler.call(melIn); }, warmup: 1, repetitions: reps);
            table.Add("upsample only (no_grad), after Infer", "fp32", 1, median, median, "-", (MinorFaults() - faults) / (reps + 1));
        }
        return table;
    }

    /// <summary>The process's minor page faults so far (Linux; 0 elsewhere): fresh memory costs a fault per page on first touch.</summary>
    private static long MinorFaults()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture); // field 10 (minflt), counted after "pid (comm) "
    }

    /// <summary>conv1d over a (B, T, Cin) input as one GEMM per tap on row-shifted slices of the padded input: (T, Cout) out.</summary>
    private static Tensor ShiftedGemms(Tensor xTc, Tensor[] taps, Tensor bias, long pad, long dilation)
    {
        var padded = nn.functional.pad(xTc[0], new[] { 0L, 0, pad, pad });
        long t = xTc.shape[1];
        var y = addmm(bias, padded.narrow(0, 0, t), taps[0], 1, 1);
        for (int k = 1; k < taps.Length; k++) y.addmm_(padded.narrow(0, k * dilation, t), taps[k], 1, 1);
        return y;
    }
}
