using static TorchSharp.torch;

namespace MlNetTts.Data;

/// <summary>The reference's <c>TextMelCollate</c>: pads a list of items into a <see cref="TextMelBatch"/>.</summary>
public static class TextMelCollate
{
    /// <summary>
    /// Collates <paramref name="items"/> of <paramref name="data"/>: sorted by decreasing text length (ties keep
    /// the given order; the reference's unstable torch.sort leaves them unspecified), text padded with 0, mels
    /// with 0 up to the longest rounded up to a multiple of <paramref name="framesPerStep"/>, gate 1 from frame
    /// length-1 to the end (padding included).
    /// </summary>
    public static TextMelBatch Collate(TextMelDataset data, IReadOnlyList<int> items, int framesPerStep = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(framesPerStep);
        if (items.Count == 0) throw new ArgumentException("A batch needs at least one item.", nameof(items));
        foreach (int i in items)
            if (i < 0 || i >= data.Count) throw new ArgumentOutOfRangeException(nameof(items), i, $"item index outside the dataset's {data.Count} items");

        var order = items.Select((item, position) => (item, position))
            .OrderByDescending(x => data.TextLength(x.item)).ThenBy(x => x.position)
            .Select(x => x.item).ToArray();
        int batch = order.Length, mels = data.MelChannels;
        int maxText = data.TextLength(order[0]);
        int maxFrames = order.Max(data.FrameCount);
        if (maxFrames % framesPerStep != 0) maxFrames += framesPerStep - maxFrames % framesPerStep;

        var text = new long[batch * maxText];
        var inputLengths = new long[batch];
        var mel = new float[(long)batch * mels * maxFrames];
        var gate = new float[batch * maxFrames];
        var outputLengths = new long[batch];
        long totalFrames = 0;
        for (int b = 0; b < batch; b++)
        {
            int item = order[b];
            var ids = data.Text(item);
            for (int k = 0; k < ids.Length; k++) text[b * maxText + k] = ids[k];
            inputLengths[b] = ids.Length;
            int frames = data.FrameCount(item);
            data.CopyMel(item, mel.AsSpan(b * mels * maxFrames, mels * maxFrames), maxFrames);
            for (int t = frames - 1; t < maxFrames; t++) gate[b * maxFrames + t] = 1f;
            outputLengths[b] = frames;
            totalFrames += frames;
        }
        return new TextMelBatch(
            tensor(text, new long[] { batch, maxText }),
            tensor(inputLengths),
            tensor(mel, new long[] { batch, mels, maxFrames }),
            tensor(gate, new long[] { batch, maxFrames }),
            tensor(outputLengths),
            order, totalFrames);
    }
}
