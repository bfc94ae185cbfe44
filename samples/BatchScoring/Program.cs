using MlNetTts.Samples.BatchScoring;

// usage: dotnet run --project samples/BatchScoring -- LINES.csv OUT_DIR TACOTRON2.pt [WAVEGLOW.pt]
//   LINES.csv: a header line "Id,Text", then one row per utterance (quote texts that contain commas).
//   Without a WaveGlow checkpoint the mels are vocoded with Griffin-Lim (no training needed).
if (args.Length is < 3 or > 4)
{
    Console.Error.WriteLine("usage: BatchScoring LINES.csv OUT_DIR TACOTRON2.pt [WAVEGLOW.pt]");
    return 2;
}
try
{
    var written = BatchScoringPipeline.Run(args[0], args[1], args[2], args.Length == 4 ? args[3] : null);
    Console.WriteLine($"wrote {written.Count} WAV files to {Path.GetFullPath(args[1])}");
    return 0;
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"BatchScoring: {e.Message}");
    return 1;
}
