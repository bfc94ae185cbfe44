using MlNetTts.Checkpoints;
using MlNetTts.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// NVIDIA's Tacotron 2 (DeepLearningExamples 20.06) in TorchSharp: same module tree and state_dict keys
/// (<c>embedding</c>, <c>encoder</c>, <c>decoder</c>, <c>postnet</c>), same masking and step order, so NVIDIA's
/// checkpoints load by name and outputs match the reference.
/// <para>Differences from the reference, all deliberate: teacher-forced forward works for batch size 1 (the
/// reference's <c>gate_output.squeeze()</c> breaks it); encoder lengths need not be sorted; inference runs under
/// no_grad and reports items that hit the step cap; with r &gt; 1 mel lengths are in frames and the loss/mask use
/// per-step gate targets (the reference only runs with r = 1).</para>
/// </summary>
public sealed class Tacotron2Model : nn.Module
{
    private readonly Embedding embedding;
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly Postnet postnet;

    public Tacotron2Model(Tacotron2Config config) : base("Tacotron2")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        embedding = nn.Embedding(config.SymbolCount, config.SymbolsEmbeddingDim);
        double bound = Math.Sqrt(3.0) * Math.Sqrt(2.0 / (config.SymbolCount + config.SymbolsEmbeddingDim));
        using (no_grad()) embedding.weight!.uniform_(-bound, bound);
        encoder = new Encoder(config.EncoderConvolutions, config.EncoderEmbeddingDim, config.EncoderKernelSize);
        decoder = new Decoder(config);
        postnet = new Postnet(config.MelChannels, config.PostnetEmbeddingDim, config.PostnetKernelSize, config.PostnetConvolutions);
        RegisterComponents();
    }

    /// <summary>
    /// Builds the model from a PyTorch checkpoint written by NVIDIA's <c>train.py</c> or published on NGC (zip or
    /// legacy format, <c>module.</c> prefixes of DistributedDataParallel removed): the architecture from the
    /// checkpoint's <c>config</c> (see <see cref="Tacotron2Config.FromCheckpointConfig"/>), or from
    /// <paramref name="config"/> when given, or the reference defaults when the checkpoint has none; then the weights,
    /// strictly by name and shape (converted to float32 when saved in fp16). The model is returned in eval mode with
    /// the reference's always-on prenet dropout.
    /// </summary>
    public static Tacotron2Model FromCheckpoint(string path, Tacotron2Config? config = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var checkpoint = TorchCheckpoint.Load(path);
        config ??= checkpoint.Config is { } stored ? Tacotron2Config.FromCheckpointConfig(stored) : new Tacotron2Config();
        var model = new Tacotron2Model(config);
        try
        {
            StateDictLoader.LoadInto(model, checkpoint.StateDict);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>The hyper-parameters the model was built with.</summary>
    public Tacotron2Config Config { get; }

    /// <summary>Float32 (default) or Mixed: matmul/conv/LSTM-cell math in bf16 (CPU) / fp16 (CUDA), weights cast once per call.</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>
    /// The prenet's always-on dropout (p = 0.5, also at inference), as the reference; default true. Switch it off for
    /// deterministic output (the parity fixtures were made with it off).
    /// </summary>
    public bool PrenetDropout
    {
        get => decoder.Prenet.DropoutAlwaysOn;
        set => decoder.Prenet.DropoutAlwaysOn = value;
    }

    public Encoder Encoder => encoder;

    public Decoder Decoder => decoder;

    public Postnet Postnet => postnet;

    /// <summary>Symbol ids (B, T_in) -> embeddings (B, T_in, E); padding id 0 has a real embedding row.</summary>
    public Tensor Embed(Tensor text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"text must be int64 symbol ids; got {TensorCheck.Describe(text)}.", nameof(text));
        TensorCheck.OnDevice(text, embedding.weight!.device, nameof(text), "the model's device");
        return embedding.call(text);
    }

    /// <summary>
    /// Teacher-forced forward, as the reference's <c>Tacotron2.forward</c> on a <c>TextMelCollate</c> batch: text ids
    /// (B, T_in) int64, input lengths (B), mel targets (B, n_mel, T) with T a multiple of r, output lengths (B).
    /// With <see cref="Tacotron2Config.MaskPadding"/>, mel frames at or beyond each output length are 0 (decoder and
    /// postnet mel, the postnet having seen the unmasked mel) and gate logits of steps starting there are 1e3.
    /// </summary>
    public Tacotron2Output Forward(Tensor textPadded, Tensor inputLengths, Tensor melPadded, Tensor outputLengths)
    {
        CheckText(textPadded, inputLengths);
        if (melPadded.dim() != 3 || melPadded.shape[0] != textPadded.shape[0] || melPadded.shape[1] != Config.MelChannels)
            throw new ArgumentException($"melPadded must be (B={textPadded.shape[0]}, n_mel={Config.MelChannels}, T); got ({string.Join(", ", melPadded.shape)}).", nameof(melPadded));
        if (outputLengths.dim() != 1 || outputLengths.shape[0] != textPadded.shape[0])
            throw new ArgumentException($"outputLengths must be (B={textPadded.shape[0]}); got ({string.Join(", ", outputLengths.shape)}).", nameof(outputLengths));
        // The decoder's matmuls meet the mel as it is: another dtype would abort the process in libtorch.
        TensorCheck.DType(melPadded, embedding.weight!.dtype, nameof(melPadded), "the model's parameter dtype; Precision.Mixed casts internally");
        TensorCheck.OnDevice(melPadded, embedding.weight!.device, nameof(melPadded), "the model's device");
        TensorCheck.Integer(outputLengths, nameof(outputLengths));
        TensorCheck.OnDevice(outputLengths, embedding.weight!.device, nameof(outputLengths), "the model's device");

        using var cast = Precision.Enter(melPadded.device);
        using var scope = NewDisposeScope();
        var embedded = Embed(textPadded).transpose(1, 2);
        var memory = encoder.Forward(embedded, inputLengths);
        var decoded = decoder.Forward(memory, melPadded, inputLengths); // its tensors belong to this call's scope
        var mel = decoded.MelOutputs;
        var melPostnet = mel + postnet.call(mel);
        var gate = decoded.GateOutputs;
        if (Config.MaskPadding)
        {
            long frames = mel.shape[2];
            var padded = Decoder.PaddingMask(outputLengths, frames, mel.device); // (B, T)
            var melMask = padded.unsqueeze(1);
            mel = mel.masked_fill(melMask, 0.0);
            melPostnet = melPostnet.masked_fill(melMask, 0.0);
            var stepMask = Config.FramesPerStep == 1 ? padded : padded[.., TensorIndex.Slice(0, null, Config.FramesPerStep)];
            gate = gate.masked_fill(stepMask, 1e3);
        }
        return new Tacotron2Output(mel.MoveToOuterDisposeScope(), melPostnet.MoveToOuterDisposeScope(),
            gate.MoveToOuterDisposeScope(), decoded.Alignments.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Batched inference, as the reference's <c>Tacotron2.infer</c>: text ids (B, T_in) int64 right-padded, lengths
    /// (B). Padded encoder steps are masked in the attention, so an item's outputs do not depend on the other items
    /// of the batch (beyond the reference's encoder-convolution padding leak). Runs under no_grad.
    /// </summary>
    public Tacotron2InferenceResult Infer(Tensor textPadded, Tensor inputLengths, Tacotron2InferenceOptions? options = null)
    {
        CheckText(textPadded, inputLengths);
        options ??= new Tacotron2InferenceOptions();
        int maxSteps = options.MaxDecoderSteps ?? Config.MaxDecoderSteps;
        double threshold = options.GateThreshold ?? Config.GateThreshold;
        bool earlyStopping = options.EarlyStopping ?? !Config.DecoderNoEarlyStopping;

        using var noGrad = no_grad();
        using var cast = Precision.Enter(textPadded.device);
        using var scope = NewDisposeScope();
        var embedded = Embed(textPadded).transpose(1, 2);
        var memory = encoder.Forward(embedded, inputLengths);
        var decoded = decoder.Infer(memory, inputLengths, maxSteps, threshold, earlyStopping, options.StopCheckInterval, options.CancellationToken);
        var melPostnet = decoded.MelOutputs + postnet.call(decoded.MelOutputs);
        return new Tacotron2InferenceResult(decoded.MelOutputs.MoveToOuterDisposeScope(), melPostnet.MoveToOuterDisposeScope(),
            decoded.GateOutputs.MoveToOuterDisposeScope(), decoded.Alignments.MoveToOuterDisposeScope(),
            decoded.MelLengths.MoveToOuterDisposeScope(), decoded.HitMaxDecoderSteps, decoded.Steps);
    }

    private void CheckText(Tensor textPadded, Tensor inputLengths)
    {
        ArgumentNullException.ThrowIfNull(textPadded);
        ArgumentNullException.ThrowIfNull(inputLengths);
        if (textPadded.dim() != 2 || textPadded.dtype != ScalarType.Int64)
            throw new ArgumentException($"textPadded must be int64 symbol ids (B, T_in); got {textPadded.dtype} ({string.Join(", ", textPadded.shape)}).", nameof(textPadded));
        if (inputLengths.dim() != 1 || inputLengths.shape[0] != textPadded.shape[0])
            throw new ArgumentException($"inputLengths must be (B={textPadded.shape[0]}); got ({string.Join(", ", inputLengths.shape)}).", nameof(inputLengths));
        TensorCheck.OnDevice(textPadded, embedding.weight!.device, nameof(textPadded), "the model's device");
        TensorCheck.Integer(inputLengths, nameof(inputLengths));
        TensorCheck.OnDevice(inputLengths, embedding.weight!.device, nameof(inputLengths), "the model's device");
        using var scope = NewDisposeScope();
        var lengths = inputLengths.to(ScalarType.Int64);
        if (lengths.min().item<long>() < 1 || lengths.max().item<long>() > textPadded.shape[1])
            throw new ArgumentException($"inputLengths must lie in [1, {textPadded.shape[1]}] (the padded text width); got [{string.Join(", ", lengths.cpu().data<long>().ToArray())}].", nameof(inputLengths));
        if (textPadded.numel() > 0 && (textPadded.min().item<long>() < 0 || textPadded.max().item<long>() >= Config.SymbolCount))
            throw new ArgumentException($"textPadded has ids outside [0, {Config.SymbolCount}) (n_symbols).", nameof(textPadded));
    }
}
