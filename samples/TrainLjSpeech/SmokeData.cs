using MlNetTts.Audio;

namespace MlNetTts.Samples.TrainLjSpeech;

/// <summary>A tiny LJSpeech-layout folder for <c>--smoke</c>: a few short tones with LJSpeech sentences.</summary>
internal static class SmokeData
{
    private static readonly string[] Texts =
    [
        "Printing, in the only sense with which we are at present concerned.",
        "It differs from most if not from all the arts.",
        "And it is worth mention in passing.",
        "The earliest book printed with movable types.",
    ];

    /// <summary>Writes metadata.csv and wavs/ under <paramref name="directory"/>; returns it.</summary>
    public static string Write(string directory)
    {
        Directory.CreateDirectory(Path.Combine(directory, "wavs"));
        var lines = new List<string>();
        for (int i = 0; i < Texts.Length; i++)
        {
            string id = $"SMOKE-{i + 1:0000}";
            int rate = WaveFile.DefaultSampleRate, samples = rate * (30 + 5 * i) / 100;
            var tone = new float[samples];
            for (int s = 0; s < samples; s++) tone[s] = 0.5f * MathF.Sin(2 * MathF.PI * (180 + 40 * i) * s / rate);
            WaveFile.Write(Path.Combine(directory, "wavs", id + ".wav"), tone, rate);
            lines.Add($"{id}|{Texts[i]}|{Texts[i]}");
        }
        File.WriteAllLines(Path.Combine(directory, "metadata.csv"), lines);
        return directory;
    }
}
