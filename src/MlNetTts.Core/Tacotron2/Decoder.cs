using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The autoregressive decoder. Each step, in the reference's order: <c>cat(prenet(prev_frame), prev_context)</c> ->
/// attention LSTMCell (dropout in training) -> location-sensitive attention over (prev, cumulative) weights ->
/// <c>cat(att_hidden, new_context)</c> -> decoder LSTMCell (dropout in training) ->
/// <c>Linear(cat(dec_hidden, new_context))</c> for both the mel frame(s) and the gate logit.
/// With r = <c>n_frames_per_step</c> &gt; 1 a step emits r frames (linear_projection has n_mel*r outputs) and
/// consumes the previous r frames as one prenet input of n_mel*r values, as the reference's
/// <c>parse_decoder_inputs</c> groups them. Precision comes from the caller's <see cref="CastingScope"/>.
/// </summary>
public sealed class Decoder : nn.Module
{
    private readonly Prenet prenet;
    private readonly LstmCell attention_rnn;
    private readonly Attention attention_layer;
    private readonly LstmCell decoder_rnn;
    private readonly LinearNorm linear_projection;
    private readonly LinearNorm gate_layer;

    private readonly long _melChannels;
    private readonly long _framesPerStep;
    private readonly long _encoderDim;
    private readonly long _attentionRnnDim;
    private readonly long _decoderRnnDim;
    private readonly double _attentionDropout;
    private readonly double _decoderDropout;

    public Decoder(Tacotron2Config config) : base(nameof(Decoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        _melChannels = config.MelChannels;
        _framesPerStep = config.FramesPerStep;
        _encoderDim = config.EncoderEmbeddingDim;
        _attentionRnnDim = config.AttentionRnnDim;
        _decoderRnnDim = config.DecoderRnnDim;
        _attentionDropout = config.AttentionDropout;
        _decoderDropout = config.DecoderDropout;

        long frameSize = _melChannels * _framesPerStep;
        prenet = new Prenet(frameSize, [config.PrenetDim, config.PrenetDim]);
        attention_rnn = new LstmCell(config.PrenetDim + _encoderDim, _attentionRnnDim);
        attention_layer = new Attention(_attentionRnnDim, _encoderDim, config.AttentionDim,
            config.AttentionLocationFilters, config.AttentionLocationKernelSize);
        decoder_rnn = new LstmCell(_attentionRnnDim + _encoderDim, _decoderRnnDim);
        linear_projection = new LinearNorm(_decoderRnnDim + _encoderDim, frameSize);
        gate_layer = new LinearNorm(_decoderRnnDim + _encoderDim, 1, bias: true, gain: nn.init.NonlinearityType.Sigmoid);
        RegisterComponents();
    }

    /// <summary>The prenet (its <see cref="Prenet.DropoutAlwaysOn"/> switch).</summary>
    public Prenet Prenet => prenet;

    internal LstmCell AttentionRnn => attention_rnn;
    internal Attention AttentionLayer => attention_layer;
    internal LstmCell DecoderRnn => decoder_rnn;
    internal LinearNorm Projection => linear_projection;
    internal LinearNorm Gate => gate_layer;
    internal long FramesPerStep => _framesPerStep;
    internal long MelChannels => _melChannels;

    /// <summary>
    /// Teacher-forced decoding: memory (B, T_in, E), targets (B, n_mel, T) with T a multiple of r, memory lengths (B).
    /// Step t consumes target frames [(t-1)r, tr) (the all-zero go frame at t = 0).
    /// </summary>
    public DecoderOutput Forward(Tensor memory, Tensor decoderInputs, Tensor memoryLengths)
    {
        long batch = memory.shape[0], frames = decoderInputs.shape[2];
        if (decoderInputs.dim() != 3 || decoderInputs.shape[0] != batch || decoderInputs.shape[1] != _melChannels)
            throw new ArgumentException($"Decoder targets must be (B={batch}, n_mel={_melChannels}, T); got ({string.Join(", ", decoderInputs.shape)}).", nameof(decoderInputs));
        if (frames % _framesPerStep != 0)
            throw new ArgumentException($"Decoder targets have {frames} frames, not a multiple of n_frames_per_step {_framesPerStep} (TextMelCollate pads to one).", nameof(decoderInputs));
        long steps = frames / _framesPerStep, frameSize = _melChannels * _framesPerStep;

        using var scope = NewDisposeScope();
        // (B, n_mel, T) -> (B, T/r, n_mel*r) -> (T/r, B, n_mel*r), behind an all-zero go frame; prenet over all at once.
        var grouped = decoderInputs.transpose(1, 2).reshape(batch, steps, frameSize).transpose(0, 1);
        var go = zeros(1, batch, frameSize, dtype: memory.dtype, device: memory.device);
        var prenetInputs = prenet.call(cat([go, grouped], 0));

        var mask = PaddingMask(memoryLengths, memory.shape[1], memory.device);
        var processedMemory = attention_layer.ProcessMemory(memory);
        var state = DecoderState.Zeros(batch, memory.shape[1], _attentionRnnDim, _decoderRnnDim, _encoderDim, memory.dtype, memory.device);
        // With gradients on, the LSTMs' weight gradients are computed once for all steps (see LstmSequence).
        var attentionSequence = attention_rnn.StartSequence(steps, batch);
        var decoderSequence = decoder_rnn.StartSequence(steps, batch);

        var mels = new List<Tensor>((int)steps);
        var gates = new List<Tensor>((int)steps);
        var alignments = new List<Tensor>((int)steps);
        for (long t = 0; t < steps; t++)
        {
            Tensor mel, gate;
            DecoderState next;
            using (NewDisposeScope())
            {
                (mel, gate, next) = Step(prenetInputs[t], state, memory, processedMemory, mask, (int)t, attentionSequence, decoderSequence);
                mel.MoveToOuterDisposeScope();
                gate.MoveToOuterDisposeScope();
                next.MoveToOuterDisposeScope();
            }
            state.DisposeAllButWeights();
            state = next;
            mels.Add(mel);
            gates.Add(gate);
            alignments.Add(next.AttentionWeights);
        }
        // The reference squeezes each (B, 1) gate with squeeze(), which for B = 1 yields a scalar and makes its
        // forward fail; we keep the batch dimension (squeeze(1)), so batch size 1 works and gives (1, T/r).
        var output = new DecoderOutput(
            StackMel(mels, batch).MoveToOuterDisposeScope(),
            cat(gates, 1).MoveToOuterDisposeScope(),
            stack(alignments, 1).MoveToOuterDisposeScope());
        return output;
    }

    /// <summary>
    /// Autoregressive decoding from memory (B, T_in, E) and lengths (B), as the reference's <c>Decoder.infer</c>: an
    /// item finishes at the first step with sigmoid(gate) &gt; <paramref name="gateThreshold"/>; its mel length counts
    /// the steps before that (times r, in frames); finished items keep being decoded; with early stopping the loop
    /// ends after the step where all have finished, otherwise (or if some never finish) at
    /// <paramref name="maxDecoderSteps"/>, and items still unfinished then get the full length and are reported in
    /// <see cref="DecoderInference.HitMaxDecoderSteps"/>. The stop condition (one host sync) is tested every
    /// <paramref name="stopCheckInterval"/> steps; extra steps decoded past the stop are dropped, so the result does
    /// not depend on the interval. <paramref name="cancellationToken"/> is checked before every step
    /// (<see cref="OperationCanceledException"/>), so a batch stops within one step of the request.
    /// </summary>
    public DecoderInference Infer(Tensor memory, Tensor memoryLengths, int maxDecoderSteps, double gateThreshold, bool earlyStopping, int stopCheckInterval = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDecoderSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stopCheckInterval);
        long batch = memory.shape[0], frameSize = _melChannels * _framesPerStep;

        using var scope = NewDisposeScope();
        var processedMemory = attention_layer.ProcessMemory(memory);
        if (!training && CpuDecoderLoop.Accepts(this, memory, memoryLengths))
            return CpuDecoderLoop.Run(this, memory, processedMemory, memoryLengths, maxDecoderSteps, gateThreshold, earlyStopping, cancellationToken);
        var mask = PaddingMask(memoryLengths, memory.shape[1], memory.device);
        var state = DecoderState.Zeros(batch, memory.shape[1], _attentionRnnDim, _decoderRnnDim, _encoderDim, memory.dtype, memory.device);
        var frame = zeros(batch, frameSize, dtype: memory.dtype, device: memory.device);
        var notFinished = ones(batch, dtype: ScalarType.Int32, device: memory.device);
        var stepLengths = zeros(batch, dtype: ScalarType.Int32, device: memory.device);

        var mels = new List<Tensor>();
        var gates = new List<Tensor>();
        var alignments = new List<Tensor>();
        int steps = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Tensor mel, gate, stillRunning, counted;
            DecoderState next;
            using (NewDisposeScope())
            {
                (mel, gate, next) = Step(prenet.call(frame), state, memory, processedMemory, mask);
                var continues = gate.sigmoid().le(gateThreshold).to(ScalarType.Int32).squeeze(1);
                stillRunning = (notFinished * continues).MoveToOuterDisposeScope();
                counted = (stepLengths + stillRunning).MoveToOuterDisposeScope();
                mel.MoveToOuterDisposeScope();
                gate.MoveToOuterDisposeScope();
                next.MoveToOuterDisposeScope();
            }
            state.DisposeAllButWeights();
            notFinished.Dispose();
            stepLengths.Dispose();
            state = next;
            notFinished = stillRunning;
            stepLengths = counted;
            mels.Add(mel);
            gates.Add(gate);
            alignments.Add(next.AttentionWeights);
            steps++;

            if (earlyStopping && steps % stopCheckInterval == 0 && !notFinished.any().item<bool>()) break;
            if (steps == maxDecoderSteps) break;
            frame = mel;
        }

        bool allFinished = !notFinished.any().item<bool>();
        if (earlyStopping && allFinished)
        {
            // The reference ends right after the step where the last item stopped: T = max(stop step) + 1.
            int run = stepLengths.max().item<int>() + 1;
            if (run < steps)
            {
                mels.RemoveRange(run, steps - run);
                gates.RemoveRange(run, steps - run);
                alignments.RemoveRange(run, steps - run);
                steps = run;
            }
        }
        var hitCap = notFinished.to(ScalarType.Bool).cpu().data<bool>().ToArray();
        return new DecoderInference(
            StackMel(mels, batch).MoveToOuterDisposeScope(),
            cat(gates, 1).MoveToOuterDisposeScope(),
            stack(alignments, 1).MoveToOuterDisposeScope(),
            (stepLengths * (int)_framesPerStep).MoveToOuterDisposeScope(),
            hitCap,
            steps);
    }

    /// <summary>One decoder step. Returns the mel frame(s) (B, n_mel*r), the gate logit (B, 1) and the next state.</summary>
    private (Tensor Mel, Tensor Gate, DecoderState Next) Step(Tensor prenetFrame, DecoderState s, Tensor memory, Tensor processedMemory, Tensor mask,
        int t = 0, LstmSequence? attentionSequence = null, LstmSequence? decoderSequence = null)
    {
        var attentionInput = cat([prenetFrame, s.AttentionContext], -1);
        var (attentionHidden, attentionCell) = attentionSequence is not null
            ? attentionSequence.Step(t, attentionInput, s.AttentionHidden, s.AttentionCell)
            : attention_rnn.Step(attentionInput, s.AttentionHidden, s.AttentionCell);
        if (training && _attentionDropout > 0) attentionHidden = nn.functional.dropout(attentionHidden, _attentionDropout, training: true);

        var weightsCat = stack([s.AttentionWeights, s.AttentionWeightsCum], 1);
        var (context, weights) = attention_layer.Step(attentionHidden, memory, processedMemory, weightsCat, mask);
        var weightsCum = s.AttentionWeightsCum + weights;

        var decoderInput = cat([attentionHidden, context], -1);
        var (decoderHidden, decoderCell) = decoderSequence is not null
            ? decoderSequence.Step(t, decoderInput, s.DecoderHidden, s.DecoderCell)
            : decoder_rnn.Step(decoderInput, s.DecoderHidden, s.DecoderCell);
        if (training && _decoderDropout > 0) decoderHidden = nn.functional.dropout(decoderHidden, _decoderDropout, training: true);

        var hiddenAndContext = cat([decoderHidden, context], 1);
        var mel = linear_projection.call(hiddenAndContext);
        var gate = gate_layer.call(hiddenAndContext);
        return (mel, gate, new DecoderState(attentionHidden, attentionCell, decoderHidden, decoderCell, weights, weightsCum, context));
    }

    /// <summary>Per-step (B, n_mel*r) frames -> (B, n_mel, T*r), frames of a step in order.</summary>
    private Tensor StackMel(List<Tensor> mels, long batch) =>
        stack(mels, 1).reshape(batch, -1, _melChannels).transpose(1, 2).contiguous();

    /// <summary>True at padded encoder steps: <c>arange(width) &gt;= length</c>.</summary>
    internal static Tensor PaddingMask(Tensor lengths, long width, Device device)
    {
        using var l = lengths.to(ScalarType.Int64, device);
        using var ids = arange(width, dtype: ScalarType.Int64, device: device);
        return ids.unsqueeze(0).ge(l.unsqueeze(1));
    }
}
