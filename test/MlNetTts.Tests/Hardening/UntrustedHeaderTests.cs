using System.Buffers.Binary;
using System.IO.Compression;
using System.Reflection;
using Microsoft.ML;
using MlNetTts.Audio;
using MlNetTts.Tests.MlNet;

namespace MlNetTts.Tests.Hardening;

/// <summary>Sizes and values read from untrusted files are checked before they are used (regressions of what the fuzzers found).</summary>
[TestClass]
public sealed class UntrustedHeaderTests
{
    [TestMethod]
    public void AFloat64SampleBeyondFloat32RangeIsRefusedNotInfinite()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(data, 0.5);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8), 1e300); // finite as a double, infinite as a float
        var wav = Wav(tag: 3, bits: 64, data);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => WaveFile.Read(new MemoryStream(wav), "big.wav", null));
        StringAssert.Contains(error.Message, "big.wav");
        StringAssert.Contains(error.Message, "float32 range");
    }

    [TestMethod]
    public void AHeaderPromisingHugeDataAllocatesNothingLikeIt()
    {
        var wav = Wav(tag: 1, bits: 16, new byte[64]);
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), 0x7FFF_FFF0); // the data chunk claims 2 GB
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => WaveFile.Read(new MemoryStream(wav), "liar.wav", null));
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before, "allocated by a header's promise");
        StringAssert.Contains(error.Message, "truncated");
    }

    [TestMethod]
    public void AModelZipAskingForAHugeFftIsRefusedAtLoad()
    {
        using var audio = new TestAudio();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = audio.Write("in.wav", 16000, 0.2), Id = "a" } });
        var settings = new MelSettings { SampleRate = 16000, FMax = 7000 };
        var model = ml.Transforms.ExtractMel("Mel", "Audio", settings).Fit(ml.Transforms.LoadAudio("Audio", "AudioPath", 16000).Fit(data).Transform(data));
        var saved = new MemoryStream();
        ml.Model.Save(model, null, saved);

        // The saved settings are int32 rate, filter, hop, win, mels: make the filter (and window) 2^20 samples.
        var pattern = new byte[20];
        int[] values = [settings.SampleRate, settings.FilterLength, settings.HopLength, settings.WinLength, settings.MelChannels];
        for (int i = 0; i < 5; i++) BinaryPrimitives.WriteInt32LittleEndian(pattern.AsSpan(i * 4), values[i]);
        var patched = new MemoryStream();
        int replaced = 0;
        using (var source = new ZipArchive(new MemoryStream(saved.ToArray()), ZipArchiveMode.Read))
        using (var target = new ZipArchive(patched, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                var bytes = new MemoryStream();
                using (var s = entry.Open()) s.CopyTo(bytes);
                var content = bytes.ToArray();
                int at = content.AsSpan().IndexOf(pattern);
                if (at >= 0)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(at + 4), 1 << 20);
                    BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(at + 12), 1 << 20);
                    replaced++;
                }
                using var t = target.CreateEntry(entry.FullName).Open();
                t.Write(content);
            }
        }
        Assert.AreEqual(1, replaced, "the mel settings were found in the model zip");

        // Without the cap this loads (the STFT is built lazily) and the first row then tries to build 2^20 x 2^20 bases.
        var error = Assert.Throws<Exception>(() => ml.Model.Load(new MemoryStream(patched.ToArray()), out _));
        var inner = error is TargetInvocationException { InnerException: { } e } ? e : error;
        Assert.IsInstanceOfType<ArgumentException>(inner);
        StringAssert.Contains(inner.Message, "FilterLength");
    }

    private static byte[] Wav(ushort tag, ushort bits, byte[] data)
    {
        var wav = new byte[44 + data.Length];
        "RIFF"u8.CopyTo(wav);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(4), 36 + data.Length);
        "WAVEfmt "u8.CopyTo(wav.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(20), tag);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(24), 16000);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(28), 16000 * bits / 8);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(32), (ushort)(bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(34), bits);
        "data"u8.CopyTo(wav.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(40), data.Length);
        data.CopyTo(wav, 44);
        return wav;
    }
}
