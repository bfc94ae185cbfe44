using static TorchSharp.torch;

namespace MlNetTts.Data;

/// <summary>
/// Tacotron 2 training items: symbol ids and a log-mel target per utterance, kept compact (float16 by
/// default, see <see cref="MelStorage"/>), so a corpus does not have to fit in memory as float32. Items are
/// appended with <see cref="Add(ReadOnlySpan{int}, ReadOnlySpan{float}, MelLayout)"/> from whatever the
/// caller read (an IDataView cursor, a file list) and read back by <see cref="TextMelCollate"/>.
/// </summary>
public sealed class TextMelDataset
{
    private readonly List<int[]> _texts = new();
    private readonly List<Half[]> _melsHalf = new();
    private readonly List<float[]> _melsFloat = new();
    private readonly List<int> _frames = new();

    /// <summary>An empty dataset of <paramref name="melChannels"/>-channel mels.</summary>
    public TextMelDataset(int melChannels, MelStorage storage = MelStorage.Float16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(melChannels);
        if (!Enum.IsDefined(storage)) throw new ArgumentOutOfRangeException(nameof(storage), storage, "unknown mel storage");
        MelChannels = melChannels;
        Storage = storage;
    }

    /// <summary>Mel channels of every item.</summary>
    public int MelChannels { get; }

    /// <summary>How mels are kept.</summary>
    public MelStorage Storage { get; }

    /// <summary>Number of items.</summary>
    public int Count => _texts.Count;

    /// <summary>Sum of mel frames over all items.</summary>
    public long TotalFrames { get; private set; }

    /// <summary>Bytes held by the mels.</summary>
    public long MelBytes => TotalFrames * MelChannels * (Storage == MelStorage.Float16 ? 2L : 4L);

    /// <summary>
    /// Appends an utterance: symbol ids (at least one, none negative) and a flat log-mel of
    /// <see cref="MelChannels"/> x frames values in <paramref name="layout"/> order.
    /// </summary>
    /// <returns>The new item's index.</returns>
    public int Add(ReadOnlySpan<int> text, ReadOnlySpan<float> mel, MelLayout layout)
    {
        if (text.IsEmpty) throw new ArgumentException($"Item {Count}: the text has no symbols.", nameof(text));
        foreach (int id in text)
            if (id < 0) throw new ArgumentException($"Item {Count}: symbol id {id} is negative.", nameof(text));
        if (mel.IsEmpty || mel.Length % MelChannels != 0)
            throw new ArgumentException($"Item {Count}: the mel has {mel.Length} values, expected a positive multiple of {MelChannels} mel channels.", nameof(mel));
        int frames = mel.Length / MelChannels;
        if (Storage == MelStorage.Float16)
        {
            var stored = new Half[mel.Length];
            if (layout == MelLayout.FramesMajor)
                for (int i = 0; i < mel.Length; i++) stored[i] = CheckedHalf(mel[i]);
            else
                for (int c = 0; c < MelChannels; c++)
                    for (int t = 0; t < frames; t++) stored[t * MelChannels + c] = CheckedHalf(mel[c * frames + t]);
            _melsHalf.Add(stored);
        }
        else
        {
            var stored = new float[mel.Length];
            if (layout == MelLayout.FramesMajor)
                mel.CopyTo(stored);
            else
                for (int c = 0; c < MelChannels; c++)
                    for (int t = 0; t < frames; t++) stored[t * MelChannels + c] = mel[c * frames + t];
            foreach (var v in stored)
                if (!float.IsFinite(v)) throw new ArgumentException($"Item {Count}: the mel has a non-finite value ({v}).", nameof(mel));
            _melsFloat.Add(stored);
        }
        _texts.Add(text.ToArray());
        _frames.Add(frames);
        TotalFrames += frames;
        return Count - 1;
    }

    /// <summary>Appends an utterance whose mel is a (<see cref="MelChannels"/>, frames) tensor.</summary>
    public int Add(ReadOnlySpan<int> text, Tensor mel)
    {
        ArgumentNullException.ThrowIfNull(mel);
        if (mel.dim() != 2 || mel.shape[0] != MelChannels)
            throw new ArgumentException($"Item {Count}: the mel must be ({MelChannels}, frames); got ({string.Join(", ", mel.shape)}).", nameof(mel));
        using var values = mel.detach().to(ScalarType.Float32).cpu().contiguous();
        return Add(text, values.data<float>().ToArray(), MelLayout.ChannelsMajor);
    }

    /// <summary>Symbol ids of item <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> Text(int index) => _texts[index];

    /// <summary>Symbols of item <paramref name="index"/>.</summary>
    public int TextLength(int index) => _texts[index].Length;

    /// <summary>Mel frames of item <paramref name="index"/>.</summary>
    public int FrameCount(int index) => _frames[index];

    /// <summary>The mel of item <paramref name="index"/> as a float32 (<see cref="MelChannels"/>, frames) tensor.</summary>
    public Tensor Mel(int index)
    {
        int frames = _frames[index];
        var values = new float[MelChannels * frames];
        CopyMel(index, values, frames);
        return tensor(values, new long[] { MelChannels, frames });
    }

    /// <summary>Writes item <paramref name="index"/>'s mel channel-major into <paramref name="destination"/>, a (mels, <paramref name="width"/>) block, frames beyond the item untouched.</summary>
    internal void CopyMel(int index, Span<float> destination, int width)
    {
        int frames = _frames[index], mels = MelChannels;
        if (Storage == MelStorage.Float16)
        {
            var source = _melsHalf[index];
            for (int t = 0; t < frames; t++)
                for (int c = 0; c < mels; c++) destination[c * width + t] = (float)source[t * mels + c];
        }
        else
        {
            var source = _melsFloat[index];
            for (int t = 0; t < frames; t++)
                for (int c = 0; c < mels; c++) destination[c * width + t] = source[t * mels + c];
        }
    }

    private Half CheckedHalf(float value)
    {
        var h = (Half)value;
        if (!Half.IsFinite(h))
            throw new ArgumentException($"Item {Count}: mel value {value} does not fit float16 (log-mels lie within about [-12, 12]); use MelStorage.Float32.", "mel");
        return h;
    }
}
