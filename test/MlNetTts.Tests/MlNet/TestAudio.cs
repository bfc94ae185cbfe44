using MlNetTts.Audio;

namespace MlNetTts.Tests.MlNet;

/// <summary>Small WAV files for the ML.NET tests, written into a fresh temporary folder.</summary>
internal sealed class TestAudio : IDisposable
{
    public TestAudio()
    {
        Folder = Path.Combine(Path.GetTempPath(), "mlnettts-mlnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>A chirp plus a little deterministic noise, mono, at <paramref name="rate"/> Hz.</summary>
    public string Write(string name, int rate, double seconds, WaveEncoding encoding = WaveEncoding.Float32)
    {
        int n = (int)(rate * seconds);
        var random = new Random(name.GetHashCode(StringComparison.Ordinal) & 0x7fff);
        var samples = new float[n];
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / rate;
            samples[i] = (float)(0.4 * Math.Sin(2 * Math.PI * (200 + 400 * t) * t) + 0.02 * (random.NextDouble() - 0.5));
        }
        var path = Path.Combine(Folder, name);
        WaveFile.Write(path, samples, rate, encoding);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
