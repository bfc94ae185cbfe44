using MlNetTts.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// The decoder prenet: bias-free linear + ReLU + dropout(0.5) layers (<c>layers.0</c>, <c>layers.1</c>). As in the
/// reference the dropout is applied ALWAYS, in training and at inference alike (it is part of how Tacotron 2
/// generates); <see cref="DropoutAlwaysOn"/> = false turns it off (parity tests, deterministic output).
/// </summary>
public sealed class Prenet : nn.Module<Tensor, Tensor>
{
    /// <summary>The reference's fixed prenet dropout probability.</summary>
    public const double DropoutProbability = 0.5;

    private readonly ModuleList<LinearNorm> layers;

    public Prenet(long inDim, IReadOnlyList<long> sizes) : base(nameof(Prenet))
    {
        var modules = new LinearNorm[sizes.Count];
        long previous = inDim;
        for (int i = 0; i < sizes.Count; i++)
        {
            modules[i] = new LinearNorm(previous, sizes[i], bias: false);
            previous = sizes[i];
        }
        layers = nn.ModuleList(modules);
        RegisterComponents();
    }

    /// <summary>Whether dropout (p = 0.5) is applied regardless of training/eval mode (the reference behaviour; default true).</summary>
    public bool DropoutAlwaysOn { get; set; } = true;

    /// <summary>The layers' (out, in) weights, first to last.</summary>
    internal IEnumerable<Tensor> Weights => layers.Select(l => l.Weight);

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var linear in layers)
        {
            x = nn.functional.relu(linear.call(x));
            if (DropoutAlwaysOn) x = nn.functional.dropout(x, DropoutProbability, training: true);
        }
        return x.MoveToOuterDisposeScope();
    }
}
