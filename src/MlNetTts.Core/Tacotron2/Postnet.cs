using MlNetTts.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The postnet: <c>postnet_n_convolutions</c> ConvNorm + BatchNorm1d blocks (<c>convolutions.i.0</c>/<c>.1</c>),
/// tanh after all but the last, dropout 0.5 in training. Returns the residual that is added to the decoder's mel.
/// </summary>
public sealed class Postnet : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> convolutions;

    public Postnet(long melChannels, long embeddingDim, long kernelSize, long convolutionCount) : base(nameof(Postnet))
    {
        var convs = new Sequential[convolutionCount];
        for (int i = 0; i < convolutionCount; i++)
        {
            bool first = i == 0, last = i == convolutionCount - 1;
            long input = first ? melChannels : embeddingDim, output = last ? melChannels : embeddingDim;
            convs[i] = nn.Sequential(
                new ConvNorm(input, output, kernelSize, padding: (kernelSize - 1) / 2,
                    gain: last ? nn.init.NonlinearityType.Linear : nn.init.NonlinearityType.Tanh),
                nn.BatchNorm1d(output));
        }
        convolutions = nn.ModuleList(convs);
        RegisterComponents();
    }

    /// <summary>mel (B, n_mel, T) -> residual (B, n_mel, T).</summary>
    public override Tensor forward(Tensor mel)
    {
        using var scope = NewDisposeScope();
        var x = mel;
        for (int i = 0; i < convolutions.Count; i++)
        {
            x = convolutions[i].call(x);
            if (i < convolutions.Count - 1) x = x.tanh();
            if (training) x = nn.functional.dropout(x, 0.5, training: true);
        }
        return x.MoveToOuterDisposeScope();
    }
}
