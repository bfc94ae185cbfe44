using System.Diagnostics;
using MlNetTts.Audio;
using MlNetTts.Cli.Synthesis;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Benchmark;

/// <summary>
/// NVIDIA's inference benchmark (test_infer.py / inference_perf.py): a batch of texts of a fixed symbol length, run
/// through Tacotron 2 and the vocoder <c>warmup + repeats</c> times; the repeats are timed.
/// </summary>
/// <remarks>
/// With <see cref="Tacotron2InferenceOptions.EarlyStopping"/> false every item is taken at the full decoded length, as
/// NVIDIA's <c>--decoder-no-early-stopping</c> benchmarks do: a model with random weights otherwise stops at a random step
/// (often the first), which measures nothing.
/// </remarks>
internal sealed class InferenceBenchmark(Tacotron2Model tacotron2, IVocoder? vocoder, Tacotron2InferenceOptions inference, string sourceText)
{
    /// <summary>An LJSpeech sentence (public domain), repeated and cut to the input length.</summary>
    public const string DefaultText = "The forms of printed letters should be beautiful, and that their arrangement on the page should be reasonable and a help to the shapeliness of the letters themselves.";

    /// <summary>Measures one configuration; <paramref name="step"/> is called after every run (warm-up included).</summary>
    public BenchRow Measure(int batchSize, int inputLength, Precision precision, int warmup, int repeats, Action step)
    {
        tacotron2.Precision = precision;
        if (vocoder is WaveGlowVocoder w) w.Precision = precision;
        var ids = Symbols(inputLength);
        var padded = new long[batchSize * inputLength];
        for (int b = 0; b < batchSize; b++) ids.CopyTo(padded, b * inputLength);

        var latencies = new List<double>();
        var throughput = new List<double>();
        var rtfs = new List<double>();
        double mels = 0, audioSeconds = 0;
        bool capped = false;
        for (int run = 0; run < warmup + repeats; run++)
        {
            using var scope = NewDisposeScope();
            var text = tensor(padded, [batchSize, inputLength]);
            var lengths = full(batchSize, inputLength, ScalarType.Int64);
            var clock = Stopwatch.StartNew();
            using var result = tacotron2.Infer(text, lengths, inference);
            var melLengths = inference.EarlyStopping == false
                ? Enumerable.Repeat((int)result.MelOutputsPostnet.shape[2], batchSize).ToArray()
                : result.MelLengths.to(ScalarType.Int64).cpu().data<long>().Select(l => (int)l).ToArray();
            long samples = vocoder is null
                ? melLengths.Sum(l => (long)l * MelSettings.Default.HopLength)
                : vocoder.Vocode(result.MelOutputsPostnet, melLengths).Sum(a => (long)a.Length);
            clock.Stop();
            step();
            if (run < warmup) continue;
            double seconds = clock.Elapsed.TotalSeconds;
            double audio = (double)samples / WaveFile.DefaultSampleRate;
            latencies.Add(seconds);
            throughput.Add(samples / seconds);
            rtfs.Add(audio / seconds);
            mels += melLengths.Average();
            audioSeconds += audio / batchSize;
            capped |= result.AnyHitMaxDecoderSteps;
        }
        return new BenchRow(batchSize, inputLength, precision == Precision.Mixed ? "mixed" : "fp32", repeats,
            latencies.Average(), Latencies.StandardDeviation(latencies), Latencies.Percentile(latencies, 50), Latencies.Percentile(latencies, 90),
            Latencies.Percentile(latencies, 95), Latencies.Percentile(latencies, 99), throughput.Average(), mels / repeats, audioSeconds / repeats,
            rtfs.Average(), capped);
    }

    private long[] Symbols(int length)
    {
        var source = TextEncoder.TextToSequence(sourceText);
        if (source.Length == 0) throw new InvalidDataException($"--text \"{sourceText}\" has nothing speakable.");
        var ids = new long[length];
        for (int i = 0; i < length; i++) ids[i] = source[i % source.Length];
        return ids;
    }
}
