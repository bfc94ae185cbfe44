using System.CommandLine;
using System.Globalization;
using MlNetTts.Cli.Benchmark;
using MlNetTts.Cli.Console;
using MlNetTts.Cli.Synthesis;
using MlNetTts.Runtime;
using MlNetTts.Tacotron2;
using Spectre.Console;
using TorchSharp;

namespace MlNetTts.Cli.Commands;

/// <summary><c>bench</c>: NVIDIA's inference performance table on this machine.</summary>
internal static class BenchCommand
{
    public static Command Create(CliConsole console)
    {
        var tacotron2 = new Option<string?>("--tacotron2") { Description = "Tacotron 2 checkpoint (default: random weights, full default configuration)." };
        var vocoder = CliOptions.Choice("--vocoder", "waveglow", "waveglow, griffin-lim, or none (Tacotron 2 only).", "waveglow", "griffin-lim", "none");
        var waveglow = new Option<string?>("--waveglow") { Description = "WaveGlow checkpoint (default: random weights, full default configuration)." };
        var batchSizes = Many("--batch-size", [1], "Batch sizes (one table row each).", "-bs");
        var inputLengths = Many("--input-length", [128], "Text lengths in symbols (one row each).", "-il");
        var precisions = new Option<string[]>("--precision")
        {
            Description = "Precisions: fp32 and/or mixed (one row each).",
            DefaultValueFactory = _ => ["fp32"],
            AllowMultipleArgumentsPerToken = true,
        };
        precisions.AcceptOnlyFromAmong("fp32", "mixed");
        var repeats = CliOptions.PositiveInt("--repeats", 10, "Timed runs per row.", "-n");
        var warmup = CliOptions.WithDefault("--warmup", 1, "Untimed runs before each row.");
        warmup.Validators.Add(r =>
        {
            if (CliOptions.TryGet(r, out int v) && v < 0) r.AddError("--warmup must be 0 or more.");
        });
        var maxSteps = new Option<int?>("--max-decoder-steps") { Description = "Decoder step cap (default: the model's; random weights rarely stop early, so set this to bound the run)." };
        var noEarlyStopping = new Option<bool?>("--decoder-no-early-stopping")
        {
            Description = "Decode exactly --max-decoder-steps steps and time audio of that full length (default: on for random weights, which stop at random; off with --tacotron2).",
        };
        var sigma = CliOptions.NonNegative("--sigma", 0.9, "WaveGlow noise scale.");
        var denoiser = CliOptions.NonNegative("--denoiser-strength", 0.01, "WaveGlow denoiser strength (0: off).");
        var griffinLimIters = CliOptions.PositiveInt("--griffin-lim-iters", MlNetTts.Audio.GriffinLim.DefaultIterations, "Griffin-Lim iterations.");
        var text = CliOptions.WithDefault("--text", InferenceBenchmark.DefaultText, "Text whose symbols (repeated, cut to each input length) form the batch.");
        var seed = CliOptions.WithDefault("--seed", 1234, "Seed for random weights, dropout and noise.");
        var json = CliOptions.Json();

        var command = new Command("bench", "Measure inference as NVIDIA's inference benchmark: per batch size, input length and precision, the latency of text to audio (mean, std, 50/90/95/99% percentiles), throughput in audio samples/s, mels and audio seconds per item, and RTF (seconds of audio per second of latency; higher is faster).")
        {
            tacotron2, vocoder, waveglow, batchSizes, inputLengths, precisions, repeats, warmup, maxSteps, noEarlyStopping, sigma, denoiser, griffinLimIters,
            text, seed, json,
        };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            if (result.GetValue(maxSteps) is < 1) throw new UsageException("--max-decoder-steps must be at least 1.");
            torch.manual_seed(result.GetValue(seed));
            var generator = new torch.Generator((ulong)result.GetValue(seed));
            string? checkpoint = result.GetValue(tacotron2);
            using var model = ModelLoading.Tacotron2(checkpoint, MlNetTts.Nn.Precision.Float32);
            string kind = result.GetValue(vocoder)!;
            using var voc = kind == "none" ? null : ModelLoading.Vocoder(kind, result.GetValue(waveglow), allowRandom: true, model,
                checkpoint ?? "the default Tacotron 2", MlNetTts.Nn.Precision.Float32, result.GetValue(sigma), result.GetValue(denoiser),
                result.GetValue(griffinLimIters), 8000, generator);
            var benchmark = new InferenceBenchmark(model, voc, new Tacotron2InferenceOptions
            {
                MaxDecoderSteps = result.GetValue(maxSteps),
                EarlyStopping = !(result.GetValue(noEarlyStopping) ?? checkpoint is null),
            }, result.GetValue(text)!);

            var configs = (from bs in result.GetValue(batchSizes)! from il in result.GetValue(inputLengths)! from p in result.GetValue(precisions)! select (bs, il, p)).ToList();
            int runs = result.GetValue(warmup) + result.GetValue(repeats);
            var rows = new List<BenchRow>();
            ProgressReporter.Run(console, "Benchmarking", configs.Count * runs, advance =>
            {
                foreach (var (bs, il, p) in configs)
                    rows.Add(benchmark.Measure(bs, il, ModelLoading.ParsePrecision(p), result.GetValue(warmup), result.GetValue(repeats), advance));
            });
            string device = TorchRuntime.Describe();
            string models = $"tacotron2: {checkpoint ?? "random weights (default config)"}; vocoder: {kind}" +
                (kind == "waveglow" ? $" ({result.GetValue(waveglow) ?? "random weights (default config)"})" : "");
            if (result.GetValue(json))
                JsonOutput.Write(console.Out, new { device, models, rows });
            else
                WriteTable(console, device, models, rows);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Option<int[]> Many(string name, int[] defaults, string description, string alias)
    {
        var option = new Option<int[]>(name, alias)
        {
            Description = description,
            DefaultValueFactory = _ => defaults,
            AllowMultipleArgumentsPerToken = true,
        };
        option.Validators.Add(r =>
        {
            if (CliOptions.TryGet(r, out int[]? values) && (values is null || values.Length == 0 || values.Any(v => v < 1)))
                r.AddError($"{name} values must be at least 1.");
        });
        return option;
    }

    private static void WriteTable(CliConsole console, string device, string models, IReadOnlyList<BenchRow> rows)
    {
        console.Out.WriteLine($"Device: {device}");
        console.Out.WriteLine($"Models: {models}");
        var table = new Table().AddColumns("Batch size", "Input length", "Precision", "Avg latency (s)", "Latency std (s)",
            "Latency 50% (s)", "Latency 90% (s)", "Latency 95% (s)", "Latency 99% (s)", "Throughput (samples/s)", "Avg mels", "Avg audio (s)", "Avg RTF");
        foreach (var r in rows)
            table.AddRow(I(r.BatchSize), I(r.InputLength), r.Precision, F(r.LatencyMean, 3), F(r.LatencyStd, 3), F(r.Latency50, 3),
                F(r.Latency90, 3), F(r.Latency95, 3), F(r.Latency99, 3), F(r.SamplesPerSecond, 0), F(r.MelsPerItem, 1), F(r.AudioSecondsPerItem, 2), F(r.Rtf, 2));
        console.Tables.Write(table);
        console.Out.WriteLine("RTF = seconds of audio per second of latency (higher is faster); throughput counts audio samples.");
        if (rows.Any(r => r.HitMaxDecoderSteps))
            console.Out.WriteLine("Note: some runs hit the decoder step cap without stopping; their audio length is the cap.");
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
