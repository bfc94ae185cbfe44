namespace MlNetTts.Cli.Benchmark;

/// <summary>
/// One line of NVIDIA's inference table: latencies in seconds per batch (text to audio); throughput in audio samples
/// per second; mels and audio length per item; RTF = seconds of audio in the batch per second of latency (higher is faster).
/// </summary>
internal sealed record BenchRow(int BatchSize, int InputLength, string Precision, int Repeats,
    double LatencyMean, double LatencyStd, double Latency50, double Latency90, double Latency95, double Latency99,
    double SamplesPerSecond, double MelsPerItem, double AudioSecondsPerItem, double Rtf, bool HitMaxDecoderSteps);
