using System.Buffers.Binary;
using MlNetTts.IO;
using NAudio.Wave;

namespace MlNetTts.Audio;

/// <summary>
/// WAV files in and out. Reading (NAudio's RIFF parser) accepts integer PCM of 8/16/24/32 bits and IEEE float
/// of 32/64 bits, plain or WAVE_FORMAT_EXTENSIBLE, any channel count (averaged to mono) and any rate (resampled,
/// band-limited, to the requested rate). Writing is mono, 16-bit PCM by default, and atomic: a temporary file
/// in the target folder, renamed over the target only when complete.
/// </summary>
/// <remarks>
/// Every problem with a file — not RIFF/WAVE, unsupported encoding (ADPCM, mu-law, MP3...), header values no
/// real file has, a data chunk shorter than its header says, no samples, non-finite float samples — raises an
/// <see cref="InvalidDataException"/> whose message starts with the file's path and says what was wrong.
/// </remarks>
public static class WaveFile
{
    /// <summary>The model's sample rate (NVIDIA's Tacotron 2 / WaveGlow, LJSpeech).</summary>
    public const int DefaultSampleRate = 22050;

    /// <summary>Lowest sample rate accepted in a header; anything below is taken as a damaged header.</summary>
    public const int MinSampleRate = 1000;

    /// <summary>Highest sample rate accepted in a header.</summary>
    public const int MaxSampleRate = 1_000_000;

    /// <summary>Most channels accepted in a header.</summary>
    public const int MaxChannels = 64;

    /// <summary>
    /// Reads a WAV file as mono float samples, resampled to <paramref name="targetSampleRate"/> Hz
    /// (null keeps the file's rate). Integers are scaled by their full scale (e.g. 16-bit by 1/32768).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a WAV file this reader supports (the message says why).</exception>
    public static Waveform Read(string path, int? targetSampleRate = DefaultSampleRate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"WAV file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path, targetSampleRate);
    }

    /// <summary>Reads WAV content from a seekable stream; <paramref name="name"/> names it in error messages.</summary>
    public static Waveform Read(Stream stream, string name, int? targetSampleRate = DefaultSampleRate)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (targetSampleRate is { } target && (target < MinSampleRate || target > MaxSampleRate))
            throw new ArgumentOutOfRangeException(nameof(targetSampleRate), target, $"target sample rate must be in [{MinSampleRate}, {MaxSampleRate}] Hz.");

        WaveFileReader reader;
        try
        {
            reader = new WaveFileReader(stream);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or IOException or ArgumentException or InvalidOperationException or OverflowException)
        {
            throw Bad(name, $"not a readable RIFF/WAVE file ({e.Message})", e);
        }
        using (reader)
        {
            var format = reader.WaveFormat;
            var encoding = EncodingOf(format, name);
            int channels = format.Channels, rate = format.SampleRate, bytesPerSample = format.BitsPerSample / 8;
            if (channels < 1 || channels > MaxChannels)
                throw Bad(name, $"header says {channels} channels (expected 1 to {MaxChannels})");
            if (rate < MinSampleRate || rate > MaxSampleRate)
                throw Bad(name, $"header says {rate} samples per second (expected {MinSampleRate} to {MaxSampleRate})");
            if (format.BlockAlign != channels * bytesPerSample)
                throw Bad(name, $"header's block align {format.BlockAlign} disagrees with {channels} channels of {format.BitsPerSample} bits");

            long declared = reader.Length;
            long promised = DeclaredDataLength(stream);
            if (promised > declared)
                throw Bad(name, $"truncated: the header promises {promised} bytes of audio, the file holds {declared}");
            if (declared <= 0) throw Bad(name, "contains no audio (the data chunk is empty)");
            if (declared > Array.MaxLength)
                throw Bad(name, $"data chunk of {declared} bytes is larger than this reader handles ({Array.MaxLength} bytes)");
            if (declared % format.BlockAlign != 0)
                throw Bad(name, $"data chunk of {declared} bytes is not a whole number of {format.BlockAlign}-byte sample frames (truncated?)");

            var bytes = new byte[declared];
            int read = 0;
            try
            {
                while (read < bytes.Length)
                {
                    int n = reader.Read(bytes, read, bytes.Length - read);
                    if (n <= 0) break;
                    read += n;
                }
            }
            catch (Exception e) when (e is IOException or EndOfStreamException)
            {
                throw Bad(name, $"reading the data chunk failed ({e.Message})", e);
            }
            if (read < declared)
                throw Bad(name, $"truncated: the header promises {declared} bytes of audio, the file holds {read}");

            long frames = declared / format.BlockAlign;
            var mono = Decode(bytes, encoding, channels, frames, name);
            var samples = targetSampleRate is { } to && to != rate ? Resampler.Resample(mono, rate, to) : mono;
            // Float samples near float32's limit are finite in the file but can overflow in the resampling filter.
            if (!ReferenceEquals(samples, mono) && IndexOfNonFinite(samples) is var overflow && overflow >= 0)
                throw Bad(name, $"resampling to {targetSampleRate} Hz overflowed at sample {overflow}: the samples lie far outside [-1, 1]");
            return new Waveform(samples, targetSampleRate ?? rate);
        }
    }

    /// <summary>
    /// Writes mono <paramref name="samples"/> at <paramref name="sampleRate"/> Hz, atomically. Integer encodings clip to
    /// [-1, 1] and round to the nearest step of 1/full scale (16-bit: x * 32767).
    /// </summary>
    /// <exception cref="ArgumentException">Non-finite samples, a bad rate or <see cref="WaveEncoding.Float64"/>.</exception>
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate, WaveEncoding encoding = WaveEncoding.Pcm16)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (sampleRate < MinSampleRate || sampleRate > MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"sample rate must be in [{MinSampleRate}, {MaxSampleRate}] Hz.");
        int bad = IndexOfNonFinite(samples);
        if (bad >= 0) throw new ArgumentException($"sample {bad} is {samples[bad]}; cannot write '{path}'.", nameof(samples));
        var format = encoding switch
        {
            WaveEncoding.Pcm8 => new WaveFormat(sampleRate, 8, 1),
            WaveEncoding.Pcm16 => new WaveFormat(sampleRate, 16, 1),
            WaveEncoding.Pcm24 => new WaveFormat(sampleRate, 24, 1),
            WaveEncoding.Pcm32 => new WaveFormat(sampleRate, 32, 1),
            WaveEncoding.Float32 => WaveFormat.CreateIeeeFloatWaveFormat(sampleRate, 1),
            _ => throw new ArgumentException($"writing {encoding} is not supported; use Pcm16 or Float32.", nameof(encoding)),
        };
        var bytes = Encode(samples, encoding);

        AtomicFile.Write(path, stream =>
        {
            // NAudio 3 leaves a caller-supplied stream open, so AtomicFile can still flush and rename it.
            using var writer = new WaveFileWriter(stream, format);
            writer.Write(bytes, 0, bytes.Length);
        });
    }

    /// <summary>
    /// The data chunk's size as its header states it (NAudio clamps it to what the file holds, which hides
    /// truncation); -1 for RF64 or when no data chunk header is found.
    /// </summary>
    private static long DeclaredDataLength(Stream stream)
    {
        Span<byte> header = stackalloc byte[8];
        stream.Position = 0;
        if (stream.Read(header) < 8 || !header[..4].SequenceEqual("RIFF"u8)) return -1;
        long position = 12;
        while (position + 8 <= stream.Length)
        {
            stream.Position = position;
            if (stream.Read(header) < 8) return -1;
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (header[..4].SequenceEqual("data"u8)) return size;
            position += 8 + size + (size & 1); // chunks are word aligned
        }
        return -1;
    }

    private static InvalidDataException Bad(string name, string what, Exception? inner = null) =>
        new($"WAV file '{name}': {what}.", inner);

    private static WaveEncoding EncodingOf(WaveFormat format, string name)
    {
        var tag = format.Encoding;
        if (tag == WaveFormatEncoding.Extensible)
        {
            // NAudio may hand back the extension as raw extra bytes: valid bits (2), channel mask (4), sub-format GUID (16).
            (int validBits, Guid subFormat) = format switch
            {
                WaveFormatExtensible e => (e.ValidBitsPerSample, e.SubFormat),
                WaveFormatExtraData { ExtraData.Length: >= 22 } x => (BinaryPrimitives.ReadUInt16LittleEndian(x.ExtraData), new Guid(x.ExtraData.AsSpan(6, 16))),
                _ => throw Bad(name, "WAVE_FORMAT_EXTENSIBLE header is too short to name its sub-format"),
            };
            if (subFormat == AudioMediaSubtypes.MEDIASUBTYPE_PCM) tag = WaveFormatEncoding.Pcm;
            else if (subFormat == AudioMediaSubtypes.MEDIASUBTYPE_IEEE_FLOAT) tag = WaveFormatEncoding.IeeeFloat;
            else throw Bad(name, $"unsupported WAVE_FORMAT_EXTENSIBLE sub-format {subFormat} (supported: integer PCM and IEEE float)");
            if (validBits != 0 && validBits != format.BitsPerSample)
                throw Bad(name, $"{validBits} valid bits in {format.BitsPerSample}-bit containers are not supported");
        }
        return (tag, format.BitsPerSample) switch
        {
            (WaveFormatEncoding.Pcm, 8) => WaveEncoding.Pcm8,
            (WaveFormatEncoding.Pcm, 16) => WaveEncoding.Pcm16,
            (WaveFormatEncoding.Pcm, 24) => WaveEncoding.Pcm24,
            (WaveFormatEncoding.Pcm, 32) => WaveEncoding.Pcm32,
            (WaveFormatEncoding.IeeeFloat, 32) => WaveEncoding.Float32,
            (WaveFormatEncoding.IeeeFloat, 64) => WaveEncoding.Float64,
            (WaveFormatEncoding.Pcm or WaveFormatEncoding.IeeeFloat, var bits) =>
                throw Bad(name, $"{bits}-bit {(tag == WaveFormatEncoding.Pcm ? "integer PCM" : "IEEE float")} is not supported (PCM: 8, 16, 24, 32 bits; float: 32, 64 bits)"),
            _ => throw Bad(name, $"unsupported encoding {tag} (format tag 0x{(int)tag:X4}); supported: integer PCM 8/16/24/32-bit and IEEE float 32/64-bit"),
        };
    }

    /// <summary>Interleaved frames -> mono floats: each frame's channels scaled to [-1, 1) and averaged.</summary>
    private static float[] Decode(byte[] bytes, WaveEncoding encoding, int channels, long frames, string name)
    {
        var mono = new float[frames];
        int width = BytesPerSample(encoding);
        double scale = 1.0 / channels;
        var span = bytes.AsSpan();
        for (long f = 0; f < frames; f++)
        {
            double sum = 0;
            int offset = (int)(f * channels * width);
            for (int c = 0; c < channels; c++, offset += width)
            {
                var s = span.Slice(offset, width);
                sum += encoding switch
                {
                    WaveEncoding.Pcm8 => (s[0] - 128) / 128.0,
                    WaveEncoding.Pcm16 => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
                    WaveEncoding.Pcm24 => ((s[0] | (s[1] << 8) | (s[2] << 16)) << 8 >> 8) / 8388608.0,
                    WaveEncoding.Pcm32 => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
                    WaveEncoding.Float32 => BinaryPrimitives.ReadSingleLittleEndian(s),
                    _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
                };
            }
            double value = channels == 1 ? sum : sum * scale;
            float sample = (float)value; // a finite double beyond float32 range becomes infinite here
            if (!float.IsFinite(sample)) throw Bad(name, $"sample frame {f} is {value} (float data must be finite and within float32 range)");
            mono[f] = sample;
        }
        return mono;
    }

    private static byte[] Encode(ReadOnlySpan<float> samples, WaveEncoding encoding)
    {
        int width = BytesPerSample(encoding);
        var bytes = new byte[samples.Length * width];
        var span = bytes.AsSpan();
        for (int i = 0; i < samples.Length; i++)
        {
            var d = span.Slice(i * width, width);
            double x = Math.Clamp((double)samples[i], -1.0, 1.0);
            switch (encoding)
            {
                case WaveEncoding.Pcm8: d[0] = (byte)(Math.Round(x * 127) + 128); break;
                case WaveEncoding.Pcm16: BinaryPrimitives.WriteInt16LittleEndian(d, (short)Math.Round(x * short.MaxValue)); break;
                case WaveEncoding.Pcm24:
                    int v = (int)Math.Round(x * 8388607);
                    d[0] = (byte)v; d[1] = (byte)(v >> 8); d[2] = (byte)(v >> 16);
                    break;
                case WaveEncoding.Pcm32: BinaryPrimitives.WriteInt32LittleEndian(d, (int)Math.Round(x * int.MaxValue)); break;
                default: BinaryPrimitives.WriteSingleLittleEndian(d, samples[i]); break; // float: unclipped
            }
        }
        return bytes;
    }

    private static int BytesPerSample(WaveEncoding encoding) => encoding switch
    {
        WaveEncoding.Pcm8 => 1,
        WaveEncoding.Pcm16 => 2,
        WaveEncoding.Pcm24 => 3,
        WaveEncoding.Pcm32 => 4,
        WaveEncoding.Float32 => 4,
        _ => 8,
    };

    private static int IndexOfNonFinite(ReadOnlySpan<float> samples)
    {
        for (int i = 0; i < samples.Length; i++) if (!float.IsFinite(samples[i])) return i;
        return -1;
    }
}
