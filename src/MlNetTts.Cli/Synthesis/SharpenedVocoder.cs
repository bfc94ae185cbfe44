using MlNetTts.Audio;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>Sharpens each item's mel along time (<see cref="MelSharpening"/>, over its own frames only) before the inner vocoder.</summary>
internal sealed class SharpenedVocoder : IVocoder
{
    private readonly IVocoder _inner;
    private readonly double _amount;

    public SharpenedVocoder(IVocoder inner, double amount)
    {
        ArgumentNullException.ThrowIfNull(inner);
        MelSharpening.Check(amount, nameof(amount));
        _inner = inner;
        _amount = amount;
    }

    public string Name => _inner.Name;

    public int MelChannels => _inner.MelChannels;

    public IReadOnlyList<float[]> Vocode(Tensor melBatch, IReadOnlyList<int> frames)
    {
        using var scope = NewDisposeScope();
        var sharpened = melBatch.clone();
        for (int b = 0; b < frames.Count; b++)
        {
            // The padding past an item's end must not leak into its last frames.
            var item = sharpened[b, .., ..frames[b]];
            item.copy_(MelSharpening.Apply(item, _amount)); // Apply returns a new tensor before the copy writes
        }
        return _inner.Vocode(sharpened, frames);
    }

    public void Dispose() => _inner.Dispose();
}
