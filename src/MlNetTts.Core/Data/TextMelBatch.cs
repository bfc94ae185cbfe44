using static TorchSharp.torch;

namespace MlNetTts.Data;

/// <summary>
/// A collated Tacotron 2 batch, as the reference's <c>TextMelCollate</c> returns it: rows sorted by decreasing
/// text length; text ids right-padded with 0 (B, T_in) int64; input lengths (B) int64; mels zero-padded to the
/// longest, rounded up to a multiple of n_frames_per_step (B, n_mel, T); gate targets (B, T), 1 from each item's
/// last frame onwards; output lengths (B) int64 (in collated order, not sorted).
/// </summary>
public sealed class TextMelBatch : IDisposable
{
    internal TextMelBatch(Tensor textPadded, Tensor inputLengths, Tensor melPadded, Tensor gatePadded, Tensor outputLengths, int[] items, long totalFrames)
    {
        TextPadded = textPadded;
        InputLengths = inputLengths;
        MelPadded = melPadded;
        GatePadded = gatePadded;
        OutputLengths = outputLengths;
        Items = items;
        TotalFrames = totalFrames;
    }

    public Tensor TextPadded { get; }

    public Tensor InputLengths { get; }

    public Tensor MelPadded { get; }

    public Tensor GatePadded { get; }

    public Tensor OutputLengths { get; }

    /// <summary>Dataset index of each row, in collated order.</summary>
    public IReadOnlyList<int> Items { get; }

    /// <summary>Rows.</summary>
    public int Count => Items.Count;

    /// <summary>Sum of the real (unpadded) mel frames: the reference's item count for mels/s.</summary>
    public long TotalFrames { get; }

    /// <summary>Moves every tensor to <paramref name="device"/> (a new batch; this one is left as is).</summary>
    public TextMelBatch To(Device device) => new(TextPadded.to(device), InputLengths.to(device), MelPadded.to(device),
        GatePadded.to(device), OutputLengths.to(device), Items.ToArray(), TotalFrames);

    public void Dispose()
    {
        TextPadded.Dispose();
        InputLengths.Dispose();
        MelPadded.Dispose();
        GatePadded.Dispose();
        OutputLengths.Dispose();
    }
}
