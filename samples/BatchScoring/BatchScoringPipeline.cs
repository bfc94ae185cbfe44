using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Speech;

namespace MlNetTts.Samples.BatchScoring;

/// <summary>The whole sample: LoadFromTextFile -> TextToMel -> MelToAudio -> SaveAudio.</summary>
internal static class BatchScoringPipeline
{
    /// <summary>One CSV row.</summary>
    private sealed class Line
    {
        [LoadColumn(0)]
        public string Id { get; set; } = "";

        [LoadColumn(1)]
        public string Text { get; set; } = "";
    }

    public static IReadOnlyList<string> Run(string csvPath, string outputDirectory, string tacotron2Checkpoint, string? waveGlowCheckpoint)
    {
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"No CSV file at '{csvPath}'.", csvPath);
        var ml = new MLContext(seed: 1);
        IDataView lines = ml.Data.LoadFromTextFile<Line>(csvPath, separatorChar: ',', hasHeader: true, allowQuoting: true);

        // Rows are gathered in batches of 16 and decoded together; long texts are split into sentences.
        var pipeline = ml.Transforms.TextToMel(tacotron2Checkpoint, outputColumnName: "Mel", inputColumnName: nameof(Line.Text))
            .Append(waveGlowCheckpoint is null
                ? ml.Transforms.MelToAudioGriffinLim(outputColumnName: "Audio", inputColumnName: "Mel")
                : ml.Transforms.MelToAudio(waveGlowCheckpoint, outputColumnName: "Audio", inputColumnName: "Mel"));

        var speech = pipeline.Fit(lines).Transform(lines);
        return ml.Data.SaveAudio(speech, outputDirectory, audioColumnName: "Audio", fileNameColumnName: nameof(Line.Id));
    }
}
