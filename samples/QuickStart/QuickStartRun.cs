using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Voices;

namespace MlNetTts.Samples.QuickStart;

/// <summary>Text rows -> TextToMel (the bundled voice) -> MelToAudio (Griffin-Lim) -> WAV files, timed.</summary>
internal static class QuickStartRun
{
    public static readonly string[] DefaultSentences =
    [
        "Hello. This voice was trained with our own pipeline, on two processor cores.",
        "The quick brown fox jumps over the lazy dog.",
        "Text to speech in dot net, without leaving for Python.",
    ];

    private sealed class Line
    {
        public string Id { get; set; } = "";

        public string Text { get; set; } = "";
    }

    /// <summary>Files written; seconds of speech in them; seconds from text rows to files (model loading excluded: <paramref name="LoadSeconds"/>).</summary>
    public sealed record Result(IReadOnlyList<string> Files, double AudioSeconds, double WallSeconds, double LoadSeconds)
    {
        public double Rtf => WallSeconds > 0 ? AudioSeconds / WallSeconds : 0;
    }

    public static Result Speak(IReadOnlyList<string> sentences, string outputDirectory)
    {
        var loading = Stopwatch.StartNew();
        var ml = new MLContext(seed: 1);
        var voice = Voice.LoadDefault();
        var rows = ml.Data.LoadFromEnumerable(sentences.Select((text, i) => new Line { Id = $"sentence-{i + 1}", Text = text }));
        var pipeline = ml.Transforms.TextToMel(voice, outputColumnName: "Mel", inputColumnName: nameof(Line.Text))
            .Append(ml.Transforms.MelToAudioGriffinLim(outputColumnName: "Audio", inputColumnName: "Mel", iterations: voice.Manifest.GriffinLimIterations,
                melSharpening: voice.Manifest.MelSharpening));
        var model = pipeline.Fit(rows);
        loading.Stop();

        // Scoring is lazy: SaveAudio pulls the rows through TextToMel and MelToAudio.
        var speaking = Stopwatch.StartNew();
        var files = ml.Data.SaveAudio(model.Transform(rows), outputDirectory, audioColumnName: "Audio", fileNameColumnName: nameof(Line.Id));
        speaking.Stop();
        double seconds = files.Sum(f => WaveFile.Read(f, targetSampleRate: null).Seconds);
        return new Result(files, seconds, speaking.Elapsed.TotalSeconds, loading.Elapsed.TotalSeconds);
    }
}
