using System.Diagnostics;
using MlNetTts.Audio;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// End-to-end latency and real-time factor for one 128-character sentence, batch 1: text -> symbols -> Tacotron 2
/// (default config, random weights, prenet dropout on as the reference, a fixed <see cref="Steps"/> decoder steps
/// with the gate stop off so runs are comparable) -> vocoder: WaveGlow 256 (weight norm folded, sigma 0.6, no
/// denoiser) or Griffin-Lim (the reference's 30 iterations, float32). Float32 and Mixed (the vocoder's precision too,
/// for WaveGlow). RTF = seconds of audio / wall seconds (above 1 is faster than real time).
/// </summary>
public sealed class EndToEndSuite : IBenchmarkSuite
{
    /// <summary>An LJSpeech sentence (public domain), cut to <see cref="Characters"/>.</summary>
    private const string Source = "The forms of printed letters should be beautiful, and that their arrangement on the page should be reasonable and a help to the shapeliness of the letters themselves.";
    private const int Characters = 128;
    private const int Steps = 200;
    private const double Sigma = 0.6;

    public string Name => "end-to-end";

    public string Description => $"Text -> Tacotron 2 ({Steps} steps) -> WaveGlow 256 or Griffin-Lim, {Characters}-char sentence, batch 1: latency and RTF, fp32 and mixed";

    public ResultTable Run(bool quick)
    {
        string text = Source[..Characters];
        int reps = quick ? 1 : 5;
        var table = new ResultTable(
            $"End to end, batch 1, {Characters}-character sentence, {Steps} decoder steps (gate stop off), {get_num_threads()} threads, median of {reps} after 1 warm-up",
            "vocoder", "precision", "symbols", "audio s", "median latency s", "min latency s", "tacotron2 s", "vocoder s", "RTF (median)", "RTF (best)");

        manual_seed(1);
        using var tacotron2 = new Tacotron2Model(new Tacotron2Config());
        tacotron2.eval();
        using var waveglow = new WaveGlowModel(new WaveGlowConfig(), weightNorm: false);
        waveglow.eval();
        using var melSpectrogram = new MelSpectrogram(MelSettings.Default);
        var ids = TextEncoder.TextToSequence(text);

        foreach (var vocoder in new[] { "WaveGlow 256", "Griffin-Lim" })
        {
            foreach (var precision in new[] { Precision.Float32, Precision.Mixed })
            {
                tacotron2.Precision = precision;
                waveglow.Precision = precision;
                var runs = new List<(double Total, double Tacotron2, double Vocoder, long Samples)>();
                for (int run = 0; run < 1 + reps; run++)
                {
                    var measured = Synthesize(tacotron2, waveglow, melSpectrogram, ids, vocoder == "Griffin-Lim");
                    if (run > 0) runs.Add(measured);
                }
                var totals = runs.Select(r => r.Total).Order().ToArray();
                double median = totals[totals.Length / 2], min = totals[0];
                double audio = (double)runs[0].Samples / melSpectrogram.Settings.SampleRate;
                table.Add(vocoder, precision.ToString(), ids.Length, audio, median, min,
                    Median(runs.Select(r => r.Tacotron2)), Median(runs.Select(r => r.Vocoder)), audio / median, audio / min);
            }
        }
        return table;
    }

    /// <summary>One synthesis; seconds in total, in Tacotron 2 and in the vocoder, and the samples produced.</summary>
    private static (double Total, double Tacotron2, double Vocoder, long Samples) Synthesize(
        Tacotron2Model tacotron2, WaveGlowModel waveglow, MelSpectrogram melSpectrogram, int[] ids, bool griffinLim)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var text = tensor(Array.ConvertAll(ids, i => (long)i), new long[] { 1, ids.Length });
        var lengths = tensor(new long[] { ids.Length });
        using var result = tacotron2.Infer(text, lengths, new Tacotron2InferenceOptions { MaxDecoderSteps = Steps, EarlyStopping = false });
        if (result.Steps != Steps) throw new InvalidOperationException($"Tacotron 2 decoded {result.Steps} steps, expected {Steps}.");
        double tacotron2Seconds = clock.Elapsed.TotalSeconds;
        var audio = griffinLim
            ? GriffinLim.FromLogMel(result.MelOutputsPostnet[0], melSpectrogram, GriffinLim.DefaultIterations, new Generator(3))
            : waveglow.Infer(result.MelOutputsPostnet, Sigma, new Generator(2));
        long samples = audio.shape[^1];
        clock.Stop();
        return (clock.Elapsed.TotalSeconds, tacotron2Seconds, clock.Elapsed.TotalSeconds - tacotron2Seconds, samples);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
