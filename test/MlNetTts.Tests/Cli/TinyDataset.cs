using MlNetTts.Audio;

namespace MlNetTts.Tests.Cli;

/// <summary>
/// A small LJSpeech-layout dataset (metadata.csv + wavs/) written into a temporary folder. <see cref="WithEveryProblem"/>
/// injects one clip per problem kind, each under an id that names it; <see cref="Clean"/> has none.
/// </summary>
internal sealed class TinyDataset : IDisposable
{
    public const int Rate = WaveFile.DefaultSampleRate;

    /// <summary>Decoder cap the tests pass with --max-decoder-steps: 1 s of audio (87 frames) exceeds it, 0.5 s (44) does not.</summary>
    public const int MaxDecoderSteps = 60;

    private readonly TempFolder _folder = new();
    private readonly List<string> _lines = [];

    private TinyDataset()
    {
        Directory.CreateDirectory(Wavs);
    }

    public string Root => _folder.Path;

    public string Wavs => Path.Combine(Root, "wavs");

    public string Metadata => Path.Combine(Root, "metadata.csv");

    /// <summary>Two good clips.</summary>
    public static TinyDataset Clean()
    {
        var d = new TinyDataset();
        d.Clip("good1", "Printing, in the only sense with which we are at present concerned.", Tone(Rate, 0.5));
        d.Clip("good2", "It differs from most if not from all the arts.", Tone(Rate, 0.4));
        return d.Save();
    }

    /// <summary>One good clip and one clip (or line) per problem kind.</summary>
    public static TinyDataset WithEveryProblem()
    {
        var d = new TinyDataset();
        d.Clip("good", "Hello there.", Tone(Rate, 0.5));
        d.Clip("rate16k", "Recorded at the wrong rate.", Tone(16000, 0.5), rate: 16000);
        d.Line("missing|This clip has no file.|This clip has no file.");
        d.Line("unreadable|This file is not a WAV file.|This file is not a WAV file.");
        File.WriteAllText(Path.Combine(d.Wavs, "unreadable.wav"), "definitely not RIFF data");
        d.Clip("emptytext", "", Tone(Rate, 0.5));
        d.Clip("dropped", "He said \"hi\" and [waved].", Tone(Rate, 0.5));
        d.Clip("toolong", "This one is long.", Tone(Rate, 1.0));
        d.Clip("silent", "Nothing is heard.", new float[Rate / 2]);
        d.Clip("leading", "Silence first.", [.. new float[(int)(0.6 * Rate)], .. Tone(Rate, 0.05)]);
        d.Clip("trailing", "Silence last.", [.. Tone(Rate, 0.05), .. new float[(int)(0.6 * Rate)]]);
        d.Line("a line without any field separator");
        d.Line("good|Listed twice.|Listed twice.");
        return d.Save();
    }

    /// <summary>A 220 Hz tone at half scale.</summary>
    public static float[] Tone(int rate, double seconds)
    {
        var samples = new float[(int)(rate * seconds)];
        for (int i = 0; i < samples.Length; i++) samples[i] = (float)(0.5 * Math.Sin(2 * Math.PI * 220 * i / rate));
        return samples;
    }

    private void Clip(string id, string text, float[] samples, int rate = Rate)
    {
        WaveFile.Write(Path.Combine(Wavs, id + ".wav"), samples, rate);
        Line($"{id}|{text}|{text}");
    }

    private void Line(string line) => _lines.Add(line);

    private TinyDataset Save()
    {
        File.WriteAllLines(Metadata, _lines);
        return this;
    }

    public void Dispose() => _folder.Dispose();
}
