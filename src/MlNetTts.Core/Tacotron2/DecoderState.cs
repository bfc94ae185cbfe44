using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>The recurrent state carried from one decoder step to the next.</summary>
internal sealed class DecoderState
{
    public DecoderState(Tensor attentionHidden, Tensor attentionCell, Tensor decoderHidden, Tensor decoderCell,
        Tensor attentionWeights, Tensor attentionWeightsCum, Tensor attentionContext)
    {
        AttentionHidden = attentionHidden;
        AttentionCell = attentionCell;
        DecoderHidden = decoderHidden;
        DecoderCell = decoderCell;
        AttentionWeights = attentionWeights;
        AttentionWeightsCum = attentionWeightsCum;
        AttentionContext = attentionContext;
    }

    public Tensor AttentionHidden { get; }
    public Tensor AttentionCell { get; }
    public Tensor DecoderHidden { get; }
    public Tensor DecoderCell { get; }
    public Tensor AttentionWeights { get; }
    public Tensor AttentionWeightsCum { get; }
    public Tensor AttentionContext { get; }

    /// <summary>All zeros, as the reference's <c>initialize_decoder_states</c>.</summary>
    public static DecoderState Zeros(long batch, long timeIn, long attentionRnnDim, long decoderRnnDim, long encoderDim, ScalarType dtype, Device device) =>
        new(zeros(batch, attentionRnnDim, dtype: dtype, device: device), zeros(batch, attentionRnnDim, dtype: dtype, device: device),
            zeros(batch, decoderRnnDim, dtype: dtype, device: device), zeros(batch, decoderRnnDim, dtype: dtype, device: device),
            zeros(batch, timeIn, dtype: dtype, device: device), zeros(batch, timeIn, dtype: dtype, device: device),
            zeros(batch, encoderDim, dtype: dtype, device: device));

    /// <summary>Moves every tensor to the dispose scope enclosing the current one.</summary>
    public void MoveToOuterDisposeScope()
    {
        AttentionHidden.MoveToOuterDisposeScope();
        AttentionCell.MoveToOuterDisposeScope();
        DecoderHidden.MoveToOuterDisposeScope();
        DecoderCell.MoveToOuterDisposeScope();
        AttentionWeights.MoveToOuterDisposeScope();
        AttentionWeightsCum.MoveToOuterDisposeScope();
        AttentionContext.MoveToOuterDisposeScope();
    }

    /// <summary>Frees everything but <see cref="AttentionWeights"/>, which the caller keeps as that step's alignment.</summary>
    public void DisposeAllButWeights()
    {
        AttentionHidden.Dispose();
        AttentionCell.Dispose();
        DecoderHidden.Dispose();
        DecoderCell.Dispose();
        AttentionWeightsCum.Dispose();
        AttentionContext.Dispose();
    }
}
