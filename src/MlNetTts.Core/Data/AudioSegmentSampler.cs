using MlNetTts.Audio;
using static TorchSharp.torch;

namespace MlNetTts.Data;

/// <summary>
/// The reference's <c>MelAudioLoader</c> segment draw: an item at least <see cref="SegmentLength"/> samples long
/// gives a segment starting uniformly in [0, length - segment] (both ends included, as <c>random.randint</c>);
/// a shorter item is zero-padded at the end. The segment's log-mel comes from <see cref="MelSpectrogram"/> exactly
/// as the reference's <c>TacotronSTFT.mel_spectrogram</c> computes it. Offsets derive from (seed, epoch, item),
/// so every epoch draws new segments and a resumed run draws the same ones as an uninterrupted run.
/// </summary>
public sealed class AudioSegmentSampler
{
    /// <summary>The reference's default segment length (<c>--segment-length</c>).</summary>
    public const int DefaultSegmentLength = 8000;

    private readonly AudioDataset _data;
    private readonly long _seed;

    public AudioSegmentSampler(AudioDataset data, int segmentLength = DefaultSegmentLength, long seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentLength);
        _data = data;
        SegmentLength = segmentLength;
        _seed = seed;
    }

    /// <summary>Samples per segment.</summary>
    public int SegmentLength { get; }

    /// <summary>Where item <paramref name="item"/>'s segment starts in epoch <paramref name="epoch"/>.</summary>
    public int SegmentStart(int item, int epoch)
    {
        int maxStart = _data.Length(item) - SegmentLength;
        if (maxStart <= 0) return 0;
        var rng = new SplitMix64(_seed, stream: 2 + (long)epoch * 0x10000_0000L, substream: item);
        return (int)rng.NextInt64(maxStart + 1L);
    }

    /// <summary>Draws the segments of <paramref name="items"/> for <paramref name="epoch"/> and computes their mels.</summary>
    public WaveGlowBatch Sample(IReadOnlyList<int> items, int epoch, MelSpectrogram melSpectrogram)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(melSpectrogram);
        if (items.Count == 0) throw new ArgumentException("A batch needs at least one item.", nameof(items));
        int batch = items.Count, seg = SegmentLength;
        var audio = new float[(long)batch * seg];
        var starts = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int item = items[b];
            if (item < 0 || item >= _data.Count) throw new ArgumentOutOfRangeException(nameof(items), item, $"item index outside the dataset's {_data.Count} items");
            starts[b] = SegmentStart(item, epoch);
            int take = Math.Min(seg, _data.Length(item) - starts[b]);
            _data.CopySamples(item, starts[b], audio.AsSpan(b * seg, take));
        }
        using var scope = NewDisposeScope();
        var audioTensor = tensor(audio, new long[] { batch, seg });
        var mel = melSpectrogram.Compute(audioTensor);
        return new WaveGlowBatch(mel.MoveToOuterDisposeScope(), audioTensor.MoveToOuterDisposeScope(), items.ToArray(), starts);
    }
}
