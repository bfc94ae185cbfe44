using System.Diagnostics;
using MlNetTts.Audio;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Voices;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// The bundled default voice end to end, as a user meets it: text -> WAV file through the voice's Tacotron 2
/// (<see cref="TextSynthesizer"/> with the voice's settings, real gate stopping, prenet dropout on, batch 1) and
/// Griffin-Lim with the manifest's mel settings and iteration count, on 2 threads, for fixed sentences of 5 to 40
/// words, in float32 and Mixed. RTF = seconds of audio / wall seconds, per sentence and overall (issue 12's target:
/// RTF &gt;= 3 on 2 cores). Without a bundled voice (voices/default not shipped yet) it reports that and returns an
/// empty table. <see cref="VoiceEnvironmentVariable"/> points it at another voice folder instead.
/// </summary>
public sealed class DefaultVoiceSuite : IBenchmarkSuite
{
    /// <summary>A voice folder to measure instead of the bundled one.</summary>
    public const string VoiceEnvironmentVariable = "MLNETTTS_BENCH_VOICE";

    private const int Threads = 2;

    /// <summary>Fixed sentences, 5 to 40 words, written for this benchmark.</summary>
    private static readonly string[] Sentences =
    [
        "The train leaves at noon.",
        "Please read the instructions carefully before you open the box.",
        "A small boat drifted slowly across the quiet lake while the sun went down behind the hills.",
        "When the committee met again in the spring, the members agreed that the old library should be repaired rather than replaced, because the building itself was part of the history of the town.",
        "Although the weather had been unusually cold for most of the week, hundreds of people gathered in the square on Saturday morning to watch the parade, listen to the band, and buy fresh bread at the market.",
    ];

    public string Name => "default-voice";

    public string Description => $"Bundled voice, text -> WAV (Tacotron 2 + Griffin-Lim), {Sentences.Length} sentences of 5-40 words, {Threads} threads, fp32 and mixed: RTF";

    public ResultTable Run(bool quick)
    {
        string directory = Environment.GetEnvironmentVariable(VoiceEnvironmentVariable) is { Length: > 0 } chosen ? chosen : Voice.DefaultDirectory;
        if (!File.Exists(Path.Combine(directory, Voice.ManifestFileName)))
        {
            var none = new ResultTable($"Default voice: no bundled voice ({Voice.ManifestFileName} not found in {directory})",
                "sentence", "precision", "words", "frames", "audio s", "wall s", "RTF");
            Console.WriteLine($"default-voice: no bundled voice in {directory}; nothing measured.");
            return none;
        }

        var voice = Voice.Load(directory);
        int threads = get_num_threads();
        int reps = quick ? 1 : 3;
        var table = new ResultTable(
            $"Voice '{voice.Manifest.Name}' text -> WAV (Tacotron 2 + Griffin-Lim {voice.Manifest.GriffinLimIterations} iterations, mel sharpening {voice.Manifest.MelSharpening:0.##}), {Threads} threads, batch 1, gate stopping; median of {reps} after 1 warm-up",
            "sentence", "precision", "words", "frames", "audio s", "wall s", "tacotron2 s", "RTF");
        string wav = Path.Combine(Path.GetTempPath(), $"mlnettts-bench-{Environment.ProcessId}.wav");
        try
        {
            set_num_threads(Threads);
            using var model = voice.CreateTacotron2();
            using var melSpectrogram = new MelSpectrogram(voice.Manifest.Mel);
            foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
            {
                var synthesizer = new TextSynthesizer(model, voice.SynthesisOptions(new TextSynthesisOptions { Precision = precision, BatchSize = 1 }));
                double totalAudio = 0, totalWall = 0;
                for (int s = 0; s < Sentences.Length; s++)
                {
                    var runs = new List<(double Wall, double Tacotron2, int Frames, double Audio)>();
                    for (int run = 0; run < 1 + reps; run++)
                    {
                        var measured = Speak(synthesizer, melSpectrogram, voice.Manifest, Sentences[s], wav, run);
                        if (run > 0) runs.Add(measured);
                    }
                    var median = runs.OrderBy(r => r.Wall).ElementAt(runs.Count / 2);
                    totalAudio += median.Audio;
                    totalWall += median.Wall;
                    table.Add(s + 1, precision.ToString(), Sentences[s].Split(' ').Length, median.Frames, median.Audio, median.Wall, median.Tacotron2, median.Audio / median.Wall);
                }
                table.Add("all", precision.ToString(), Sentences.Sum(t => t.Split(' ').Length), "-", totalAudio, totalWall, "-", totalAudio / totalWall);
            }
        }
        finally
        {
            set_num_threads(threads);
            File.Delete(wav);
        }
        return table;
    }

    /// <summary>One sentence to a WAV file: wall seconds, Tacotron 2 seconds, mel frames and audio seconds.</summary>
    private static (double Wall, double Tacotron2, int Frames, double Audio) Speak(TextSynthesizer synthesizer, MelSpectrogram melSpectrogram,
        VoiceManifest voice, string sentence, string wav, int run)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var spoken = synthesizer.Synthesize([sentence], seedOffset: run)[0];
        double tacotron2 = clock.Elapsed.TotalSeconds;
        var settings = melSpectrogram.Settings;
        float[] samples = [];
        // Griffin-Lim's STFT needs more than half a window of signal; a sentence the model stops at once gives none.
        if ((long)(spoken.Frames - 1) * settings.HopLength > settings.FilterLength / 2)
        {
            var mel = MelSharpening.Apply(tensor(spoken.Mel, new long[] { spoken.Frames, spoken.MelChannels }).t(), voice.MelSharpening);
            samples = GriffinLim.FromLogMel(mel, melSpectrogram, voice.GriffinLimIterations, new Generator(1)).contiguous().data<float>().ToArray();
        }
        WaveFile.Write(wav, samples, settings.SampleRate);
        clock.Stop();
        return (clock.Elapsed.TotalSeconds, tacotron2, spoken.Frames, (double)samples.Length / settings.SampleRate);
    }
}
