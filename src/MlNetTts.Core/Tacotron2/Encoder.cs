using MlNetTts.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The encoder: convolution banks (<c>convolutions.i.0</c> ConvNorm, <c>convolutions.i.1</c> BatchNorm1d, ReLU,
/// dropout 0.5 in training) and a packed bidirectional LSTM (<c>lstm</c>).
/// As in the reference the convolutions run over the padding (pad id 0 has a real embedding row), so padding leaks
/// into the last (k-1)/2 valid frames of shorter items; the LSTM is packed, so its outputs are zero past each length
/// and the backward direction starts at each item's true end. The LSTM is TorchSharp's and stays float32 in mixed
/// precision (its input is float32: the casting layers return float32).
/// </summary>
public sealed class Encoder : nn.Module
{
    private readonly ModuleList<Sequential> convolutions;
    private readonly LSTM lstm;

    public Encoder(long convolutionCount, long embeddingDim, long kernelSize) : base(nameof(Encoder))
    {
        var convs = new Sequential[convolutionCount];
        for (int i = 0; i < convolutionCount; i++)
            convs[i] = nn.Sequential(
                new ConvNorm(embeddingDim, embeddingDim, kernelSize, padding: (kernelSize - 1) / 2, gain: nn.init.NonlinearityType.ReLU),
                nn.BatchNorm1d(embeddingDim));
        convolutions = nn.ModuleList(convs);
        lstm = nn.LSTM(embeddingDim, embeddingDim / 2, numLayers: 1, batchFirst: true, bidirectional: true);
        RegisterComponents();
    }

    /// <summary>
    /// x (B, E, T_in) embedded inputs, lengths (B) -> outputs (B, max(lengths), E). Lengths need not be sorted
    /// (the reference requires descending order; for sorted input the result is the same).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor inputLengths)
    {
        using var scope = NewDisposeScope();
        foreach (var conv in convolutions)
        {
            x = nn.functional.relu(conv.call(x));
            if (training) x = nn.functional.dropout(x, 0.5, training: true);
        }
        x = x.transpose(1, 2);
        using var packed = nn.utils.rnn.pack_padded_sequence(x, inputLengths.to(ScalarType.Int64).cpu(), batch_first: true, enforce_sorted: false);
        var (packedOutputs, _, _) = lstm.call(packed);
        using (packedOutputs)
        {
            var (outputs, _) = nn.utils.rnn.pad_packed_sequence(packedOutputs, batch_first: true);
            return outputs.MoveToOuterDisposeScope();
        }
    }
}
