using MlNetTts.Checkpoints;
using MlNetTts.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// NVIDIA's WaveGlow (DeepLearningExamples Tacotron2 release 20.06, <c>waveglow/model.py</c>): a normalizing
/// flow from audio to Gaussian noise conditioned on a mel spectrogram, run backwards to synthesize.
/// Same module tree and state_dict keys as the reference (<c>upsample.*</c>, <c>WN.k.*</c>,
/// <c>convinv.k.conv.weight</c>), in weight-norm form (<c>weight_g</c>/<c>weight_v</c>, as checkpoints
/// are saved) or folded form (<c>weight</c>, after <see cref="RemoveWeightNorm"/>); either key set loads
/// into either form.
/// </summary>
/// <remarks>
/// Audio is folded into <c>n_group</c> channels with <c>unfold</c> (channel j = sample offset j of each
/// group; a remainder of length mod n_group is dropped), and the upsampled mel likewise (conditioning
/// channel = mel * n_group + j). Every <c>n_early_every</c> flows, <c>n_early_size</c> channels leave the
/// flow early. With <see cref="Precision.Mixed"/> the convolutions run in bfloat16 (CPU) / float16 (CUDA)
/// through <see cref="CastingScope"/>; log det W, the matrix inverse and every activation stay float32.
/// </remarks>
public sealed class WaveGlowModel : nn.Module<Tensor, Tensor, WaveGlowOutput>
{
    // Field names and order are NVIDIA's state_dict names and order.
    private readonly MelUpsampler upsample;
    private readonly ModuleList<WaveNet> WN = new();
    private readonly ModuleList<Invertible1x1Conv> convinv = new();

    /// <summary>Builds a WaveGlow with the reference's random initialisation.</summary>
    /// <param name="config">Hyper-parameters (validated).</param>
    /// <param name="weightNorm">Weight-norm form (training, checkpoints) or folded form (inference).</param>
    /// <param name="device">Where the parameters live; on the <c>meta</c> device nothing is allocated (for inspecting shapes).</param>
    public WaveGlowModel(WaveGlowConfig config, bool weightNorm = true, Device? device = null) : base(nameof(WaveGlowModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        upsample = new MelUpsampler(config.NMelChannels, config.UpsampleKernelSize, config.UpsampleStride, device);
        for (int k = 0; k < config.NFlows; k++)
        {
            int remaining = config.RemainingChannelsAt(k);
            convinv.Add(new Invertible1x1Conv(remaining, device));
            WN.Add(new WaveNet(remaining / 2, (long)config.NMelChannels * config.NGroup, config.WN, weightNorm, device));
        }
        RegisterComponents();
    }

    /// <summary>The hyper-parameters.</summary>
    public WaveGlowConfig Config { get; }

    /// <summary>How forward and inference compute (default float32, as the reference).</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>Whether the WN convolutions are in weight-norm form (false after <see cref="RemoveWeightNorm"/>).</summary>
    public bool IsWeightNormed => WN.SelectMany(w => w.WeightNormedConvs()).All(c => c.IsWeightNormed);

    /// <summary>The flows' invertible 1x1 convolutions, in flow order.</summary>
    public IReadOnlyList<Invertible1x1Conv> InvertibleConvs => convinv.ToList();

    /// <summary>The mel upsampler.</summary>
    public MelUpsampler Upsampler => upsample;

    /// <summary>
    /// Training direction: audio -> (z, log_s per flow, log_det_W per flow), as the reference's
    /// <c>forward((mel, audio))</c>.
    /// </summary>
    /// <param name="mel">(B, n_mel, frames).</param>
    /// <param name="audio">(B, samples); the upsampled mel must cover it.</param>
    public override WaveGlowOutput forward(Tensor mel, Tensor audio)
    {
        CheckMel(mel);
        TensorCheck.DType(audio, mel.dtype, nameof(audio), "the mel's dtype");
        TensorCheck.OnDevice(audio, mel.device, nameof(audio), "the mel's device");
        if (audio.dim() != 2 || audio.shape[0] != mel.shape[0])
            throw new ArgumentException($"WaveGlow forward expects audio (B, samples) with the mel's batch {mel.shape[0]}; got ({string.Join(", ", audio.shape)}).", nameof(audio));
        using var scope = NewDisposeScope();
        using var casting = EnterPrecision();
        var spect = GroupedConditioning(mel, audio.shape[1]);
        long g = Config.NGroup;
        var x = audio.unfold(1, g, g).permute(0, 2, 1);

        var outputAudio = new List<Tensor>();
        var logSList = new List<Tensor>();
        var logDetWList = new List<Tensor>();
        for (int k = 0; k < Config.NFlows; k++)
        {
            if (Config.EmitsEarlyBefore(k))
            {
                outputAudio.Add(x.narrow(1, 0, Config.NEarlySize));
                x = x.narrow(1, Config.NEarlySize, x.shape[1] - Config.NEarlySize);
            }
            var (mixed, logDetW) = convinv[k].Forward(x);
            logDetWList.Add(logDetW);

            long nHalf = mixed.shape[1] / 2;
            var x0 = mixed.narrow(1, 0, nHalf);
            var x1 = mixed.narrow(1, nHalf, mixed.shape[1] - nHalf);
            var output = WN[k].call(x0, spect);
            var logS = output.narrow(1, nHalf, output.shape[1] - nHalf);
            var b = output.narrow(1, 0, nHalf);
            x1 = logS.exp() * x1 + b;
            logSList.Add(logS);
            x = cat(new[] { x0, x1 }, 1);
        }
        outputAudio.Add(x);
        var z = cat(outputAudio, 1);
        return new WaveGlowOutput(
            z.MoveToOuterDisposeScope(),
            logSList.Select(t => t.MoveToOuterDisposeScope()).ToList(),
            logDetWList.Select(t => t.MoveToOuterDisposeScope()).ToList());
    }

    /// <summary>
    /// The conditioning every WN sees: the mel upsampled to samples, trimmed, and grouped to
    /// (B, n_mel * n_group, samples / n_group) with channel = mel * n_group + offset.
    /// </summary>
    /// <param name="mel">(B, n_mel, frames).</param>
    /// <param name="audioLength">Training: trim to this many samples (the upsampled mel must reach it).
    /// Null (inference): drop the upsampler's overhang (kernel - stride) samples.</param>
    public Tensor GroupedConditioning(Tensor mel, long? audioLength = null)
    {
        CheckMel(mel);
        using var scope = NewDisposeScope();
        var spect = upsample.call(mel);
        long length = spect.shape[2];
        long keep;
        if (audioLength is long samples)
        {
            if (length < samples)
                throw new ArgumentException($"The mel's {mel.shape[2]} frames upsample to {length} samples, fewer than the audio's {samples}.", nameof(audioLength));
            keep = samples;
        }
        else
        {
            keep = length - upsample.Overhang;
        }
        if (keep < length) spect = spect.narrow(2, 0, keep);
        long g = Config.NGroup;
        spect = spect.unfold(2, g, g).permute(0, 2, 1, 3);
        spect = spect.contiguous().view(spect.shape[0], spect.shape[1], -1);
        return spect.permute(0, 2, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Synthesizes audio (B, groups * n_group) from a mel (B, n_mel, frames), as the reference's
    /// <c>infer(spect, sigma)</c>: noise scaled by <paramref name="sigma"/> run backwards through the flows.
    /// Noise comes from <paramref name="generator"/> (seeded, reproducible) or, when null, torch's global RNG.
    /// </summary>
    public Tensor Infer(Tensor mel, double sigma = 1.0, Generator? generator = null) =>
        Infer(mel, sigma, shape => randn(shape, ScalarType.Float32, mel.device, generator: generator));

    /// <summary>As <see cref="Infer(Tensor, double, Generator?)"/> with every noise draw supplied by <paramref name="noise"/> (float32, cast to the mel's type as the reference does).</summary>
    public Tensor Infer(Tensor mel, double sigma, NoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        CheckMel(mel); // dtype and device first: isfinite on a meta tensor throws a native error
        // NaN in the conditioning spreads through every flow into NaN audio; refuse it where the caller can see why.
        if (!mel.isfinite().all().item<bool>())
            throw new ArgumentException("WaveGlow: the mel holds NaN or infinite values; a mel must be finite.", nameof(mel));
        NativeHeap.RetainFreedMemory();
        using var casting = EnterPrecision();
        var spect = upsample.GroupedForInference(mel, Config.NGroup) ?? GroupedConditioning(mel);
        long batch = spect.shape[0], groups = spect.shape[2];
        // Made once for all flows: the conditioning contiguous and in the compute type (every WN layer reads it),
        // the WNs' weights in inference form, and the scratch their stacked dilated taps go into.
        var computeType = casting?.DType ?? spect.dtype;
        var spectReady = spect.to(computeType).contiguous();
        var weights = WN.Select(w => w.PrepareInference(casting, groups)).ToList();
        long tapRows = WN[0].KernelSize * WN[0].Channels;
        bool fused = weights[0].InCond[0] is not null;
        var taps = empty(new[] { batch, tapRows + (fused ? spectReady.shape[1] : 0), groups }, computeType, spect.device);
        if (fused) taps.narrow(1, tapRows, spectReady.shape[1]).copy_(spectReady); // the conditioning rows, written once

        var x = Draw(noise, new[] { batch, (long)Config.RemainingChannels, groups }, spect) * sigma;
        for (int k = Config.NFlows - 1; k >= 0; k--)
        {
            long nHalf = x.shape[1] / 2;
            var x0 = x.narrow(1, 0, nHalf);
            var x1 = x.narrow(1, nHalf, x.shape[1] - nHalf);
            var output = WN[k].Infer(x0, spectReady, weights[k], taps);
            var s = output.narrow(1, nHalf, output.shape[1] - nHalf);
            var b = output.narrow(1, 0, nHalf);
            x1 = (x1 - b) / s.exp();
            x = cat(new[] { x0, x1 }, 1);
            x = convinv[k].Reverse(x);
            if (Config.EmitsEarlyBefore(k))
            {
                var z = Draw(noise, new[] { batch, (long)Config.NEarlySize, groups }, spect);
                x = cat(new[] { z * sigma, x }, 1);
            }
        }
        return x.permute(0, 2, 1).contiguous().view(x.shape[0], -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Folds weight norm into plain weights in every WN (as the reference's <c>WaveGlow.remove_weightnorm</c>
    /// before inference). Keys become <c>...weight</c> in place of <c>weight_g</c>/<c>weight_v</c>.
    /// </summary>
    public WaveGlowModel RemoveWeightNorm()
    {
        foreach (var wn in WN)
            foreach (var conv in wn.WeightNormedConvs())
                conv.RemoveWeightNorm();
        return this;
    }

    /// <summary>
    /// Copies a state_dict (NVIDIA's keys, no <c>module.</c> prefix) into the model, converting between
    /// weight-norm and folded keys per conv as needed (g, v -> g v / ||v||; w -> g = ||w||, v = w), casting
    /// to the parameters' dtype, and dropping every cached W^-1.
    /// </summary>
    /// <exception cref="ArgumentException">Keys are missing or unexpected (when <paramref name="strict"/>), or a shape differs; the message names them.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        using var scope = NewDisposeScope();
        var source = ToThisForm(stateDict);
        var destination = state_dict();
        var missing = destination.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !destination.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException(
                $"WaveGlow state_dict does not match the model ({Config.WN.NChannels} channels, {Config.NFlows} flows, {(IsWeightNormed ? "weight-norm" : "folded")} form): " +
                $"{missing.Count} missing ({string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}), " +
                $"{unexpected.Count} unexpected ({string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", ..." : "")}).", nameof(stateDict));
        foreach (var (key, target) in destination)
        {
            if (!source.TryGetValue(key, out var value)) continue;
            if (!value.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"WaveGlow state_dict '{key}' has shape ({string.Join(", ", value.shape)}); the model expects ({string.Join(", ", target.shape)}).", nameof(stateDict));
        }
        using (no_grad())
            foreach (var (key, target) in destination)
                if (source.TryGetValue(key, out var value))
                    target.copy_(value);
        InvalidateInverses();
    }

    /// <summary>TorchSharp's loader, routed through <see cref="LoadStateDict"/> so that key forms convert and cached inverses are dropped.</summary>
    public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var filtered = skip is null || skip.Count == 0 ? source : source.Where(kv => !skip.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        using var scope = NewDisposeScope();
        var converted = ToThisForm(filtered);
        var keys = state_dict().Keys.Where(k => skip is null || !skip.Contains(k)).ToList();
        var missing = keys.Where(k => !converted.ContainsKey(k)).ToList();
        var unexpected = converted.Keys.Where(k => !keys.Contains(k)).ToList();
        LoadStateDict(filtered, strict && skip is null);
        return (missing, unexpected);
    }

    /// <summary>TorchSharp's own weight format; cached inverses are dropped after loading.</summary>
    public override nn.Module load(BinaryReader reader, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null)
    {
        var result = base.load(reader, strict, skip, loadedParameters);
        InvalidateInverses();
        return result;
    }

    /// <summary>Drops every flow's cached W^-1 (done by every load path; call it after changing W in place yourself).</summary>
    public void InvalidateInverses()
    {
        foreach (var c in convinv) c.InvalidateInverse();
    }

    /// <summary>
    /// The state_dict keys and shapes of a WaveGlow with <paramref name="config"/>, in NVIDIA's order,
    /// without allocating any weights (the model is built on the <c>meta</c> device).
    /// </summary>
    public static IReadOnlyList<(string Key, long[] Shape)> StateDictShapes(WaveGlowConfig config, bool weightNorm)
    {
        using var model = new WaveGlowModel(config, weightNorm, new Device(DeviceType.META));
        return model.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();
    }

    /// <summary>
    /// Loads a WaveGlow checkpoint written by NVIDIA's <c>train.py</c> (or an NGC download), zip or legacy
    /// format, DistributedDataParallel prefixes removed: the config from the checkpoint's <c>config</c>
    /// (unless <paramref name="config"/> is given), the weights (stored in weight-norm form) converted to the
    /// requested form. For inference pass <paramref name="weightNorm"/> false (folded, as <c>inference.py</c>
    /// does after <c>remove_weightnorm</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The checkpoint has no config and none was given, its config is invalid, or its weights do not fit; the message names the file.</exception>
    public static WaveGlowModel FromCheckpoint(string path, bool weightNorm = true, WaveGlowConfig? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var checkpoint = TorchCheckpoint.Load(path);
        WaveGlowModel? model = null;
        try
        {
            var resolved = config ?? (checkpoint.Config is { } stored
                ? WaveGlowConfig.FromCheckpointConfig(stored)
                : throw new ArgumentException("the checkpoint has no 'config' dictionary; pass a WaveGlowConfig"));
            model = new WaveGlowModel(resolved, weightNorm);
            model.LoadStateDict(checkpoint.StateDict);
            model.eval();
            return model;
        }
        catch (ArgumentException e)
        {
            model?.Dispose();
            throw new ArgumentException($"WaveGlow checkpoint {path}: {e.Message}", nameof(path), e);
        }
    }

    /// <summary>(B, n_mel, frames) in the parameters' dtype, on their device: the convolutions meet the mel as it is.</summary>
    private void CheckMel(Tensor mel)
    {
        ArgumentNullException.ThrowIfNull(mel);
        if (mel.dim() != 3 || mel.shape[1] != Config.NMelChannels)
            throw new ArgumentException($"WaveGlow expects a mel (B, {Config.NMelChannels}, frames); got ({string.Join(", ", mel.shape)}).", nameof(mel));
        var weight = upsample.parameters().First();
        TensorCheck.DType(mel, weight.dtype, nameof(mel), "the model's parameter dtype; Precision.Mixed casts internally");
        TensorCheck.OnDevice(mel, weight.device, nameof(mel), "the model's device");
    }

    private CastingScope? EnterPrecision()
    {
        // A fresh scope per pass even inside a caller's scope: cast weights are cached by tensor handle,
        // and a pass must never see casts of weights that changed or were freed since an earlier pass.
        var outer = CastingScope.Current;
        if (outer is not null) return CastingScope.Enter(outer.DType);
        return Precision.Enter(upsample.parameters().First().device);
    }

    private static Tensor Draw(NoiseSource noise, long[] shape, Tensor like)
    {
        var z = noise(shape) ?? throw new InvalidOperationException("The noise source returned null.");
        if (!z.shape.SequenceEqual(shape))
            throw new InvalidOperationException($"The noise source returned shape ({string.Join(", ", z.shape)}) for a draw of ({string.Join(", ", shape)}).");
        // Drawn in float32, then cast, as the reference's torch.randn(...).to(spect.dtype).
        return z.to(ScalarType.Float32).to(like.dtype, like.device);
    }

    /// <summary>The state_dict with each conv's weight keys converted to the form this model has.</summary>
    private Dictionary<string, Tensor> ToThisForm(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var result = new Dictionary<string, Tensor>(stateDict, StringComparer.Ordinal);
        foreach (var (name, module) in named_modules())
        {
            if (module is not WeightNormConv1d conv) continue;
            string g = name + ".weight_g", v = name + ".weight_v", w = name + ".weight";
            if (conv.IsWeightNormed && result.TryGetValue(w, out var weight) && !result.ContainsKey(v))
            {
                result.Remove(w);
                var w32 = weight.to(ScalarType.Float32);
                result[g] = WeightNormConv1d.ChannelNorm(w32);
                result[v] = w32;
            }
            else if (!conv.IsWeightNormed && result.TryGetValue(g, out var gain) && result.TryGetValue(v, out var direction) && !result.ContainsKey(w))
            {
                result.Remove(g);
                result.Remove(v);
                result[w] = WeightNormConv1d.WeightFromNorm(gain.to(ScalarType.Float32), direction.to(ScalarType.Float32));
            }
        }
        return result;
    }
}
