using MlNetTts.Audio;
using MlNetTts.Data;
using MlNetTts.WaveGlow;

namespace MlNetTts.Tests.Training;

/// <summary>Generated audio and a tiny WaveGlow for training tests (16 kHz, 64 samples per mel frame, 8 mels).</summary>
internal static class SyntheticAudio
{
    /// <summary>A WaveGlow of about 20 k parameters.</summary>
    public static readonly WaveGlowConfig TinyWaveGlow = new()
    {
        NMelChannels = 8, NFlows = 4, NGroup = 4, NEarlyEvery = 2, NEarlySize = 2,
        WN = new WaveNetConfig { NLayers = 2, KernelSize = 3, NChannels = 16 },
        UpsampleKernelSize = 256, UpsampleStride = 64,
    };

    /// <summary>The mel front end matching <see cref="TinyWaveGlow"/>.</summary>
    public static readonly MelSettings TinyMel = new() { SampleRate = 16000, FilterLength = 256, HopLength = 64, WinLength = 256, MelChannels = 8, FMax = 8000 };

    /// <summary>Decaying chirps of different pitches (deterministic in <paramref name="seed"/>).</summary>
    public static float[][] Chirps(int count, int samples, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            double f = 200 + random.NextDouble() * 800, phase = random.NextDouble() * 6;
            return Enumerable.Range(0, samples).Select(n => (float)(0.5 * Math.Sin(phase + 2 * Math.PI * f * n / 16000 * (1 + n / 32000.0)) * Math.Exp(-n / 8000.0))).ToArray();
        }).ToArray();
    }

    public static AudioDataset Dataset(int count, int samples, int seed)
    {
        var data = new AudioDataset();
        foreach (var chirp in Chirps(count, samples, seed)) data.Add(chirp);
        return data;
    }
}
