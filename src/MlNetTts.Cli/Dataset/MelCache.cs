using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MlNetTts.Audio;
using MlNetTts.IO;

namespace MlNetTts.Cli.Dataset;

/// <summary>
/// The mel cache <c>prepare --mel-cache DIR</c> writes: one safetensors file per clip, <c>DIR/&lt;id&gt;.safetensors</c>,
/// holding one tensor <c>mel</c>, float16, shape (n_mel_channels, frames), the natural-log mel spectrogram of
/// <see cref="MelSpectrogram"/> (NVIDIA's TacotronSTFT); its <c>__metadata__</c> gives sample_rate, filter_length,
/// hop_length, win_length, n_mel_channels, mel_fmin, mel_fmax, samples and source (the WAV path). Beside them,
/// <c>DIR/filelist.txt</c> lists <c>&lt;id&gt;.safetensors|text</c> per clip (NVIDIA's load-mel-from-disk list form).
/// Read a clip back with <c>SafeTensorsFile.Open(path).Read("mel")</c> (Core), then <c>.to(float32)</c>.
/// </summary>
internal static class MelCache
{
    /// <summary>Name of the tensor in each file.</summary>
    public const string TensorName = "mel";

    /// <summary>Name of the file list written beside the clips.</summary>
    public const string FileListName = "filelist.txt";

    /// <summary>Path of clip <paramref name="id"/>'s file in <paramref name="directory"/>.</summary>
    public static string PathOf(string directory, string id) => Path.Combine(directory, id + ".safetensors");

    /// <summary>Writes <paramref name="mel"/> (mels x frames, row-major) atomically as float16 safetensors.</summary>
    public static void Write(string path, float[] mel, int melChannels, int frames, MelSettings settings, long samples, string source)
    {
        if (mel.Length != (long)melChannels * frames)
            throw new ArgumentException($"mel has {mel.Length} values, expected {melChannels} x {frames}.", nameof(mel));
        int dataBytes = mel.Length * 2;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "mlnet-tts mel cache v1",
            ["sample_rate"] = Invariant(settings.SampleRate),
            ["filter_length"] = Invariant(settings.FilterLength),
            ["hop_length"] = Invariant(settings.HopLength),
            ["win_length"] = Invariant(settings.WinLength),
            ["n_mel_channels"] = Invariant(settings.MelChannels),
            ["mel_fmin"] = settings.FMin.ToString("R", CultureInfo.InvariantCulture),
            ["mel_fmax"] = settings.FMax.ToString("R", CultureInfo.InvariantCulture),
            ["samples"] = Invariant(samples),
            ["source"] = source,
        };
        var header = new Dictionary<string, object>
        {
            ["__metadata__"] = metadata,
            [TensorName] = new Dictionary<string, object>
            {
                ["dtype"] = "F16",
                ["shape"] = new long[] { melChannels, frames },
                ["data_offsets"] = new long[] { 0, dataBytes },
            },
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8; // the data section starts 8-byte aligned
        var bytes = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        var data = bytes.AsSpan(8 + padded);
        for (int i = 0; i < mel.Length; i++)
            BinaryPrimitives.WriteHalfLittleEndian(data.Slice(2 * i, 2), (Half)mel[i]);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Writes the file list (<c>&lt;id&gt;.safetensors|text</c> lines) atomically.</summary>
    public static void WriteFileList(string directory, IEnumerable<(string Id, string Text)> clips)
    {
        var text = new StringBuilder();
        foreach (var (id, transcript) in clips)
            text.Append(id).Append(".safetensors|").Append(transcript.Replace('\n', ' ')).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(directory, FileListName), text.ToString());
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
