using static TorchSharp.torch;

namespace MlNetTts.Data;

/// <summary>
/// A WaveGlow training batch, as the reference's <c>MelAudioLoader</c> + default collate give it: audio segments
/// (B, segment) float32 in [-1, 1] and their log-mels (B, n_mel, frames).
/// </summary>
public sealed class WaveGlowBatch : IDisposable
{
    internal WaveGlowBatch(Tensor mel, Tensor audio, int[] items, int[] starts)
    {
        Mel = mel;
        Audio = audio;
        Items = items;
        Starts = starts;
    }

    public Tensor Mel { get; }

    public Tensor Audio { get; }

    /// <summary>Dataset index of each row.</summary>
    public IReadOnlyList<int> Items { get; }

    /// <summary>First sample of each row's segment in its item (0 when the item was shorter and got padded).</summary>
    public IReadOnlyList<int> Starts { get; }

    /// <summary>Audio samples in the batch (padding included, as the reference counts them for samples/s).</summary>
    public long TotalSamples => Audio.shape[0] * Audio.shape[1];

    public void Dispose()
    {
        Mel.Dispose();
        Audio.Dispose();
    }
}
