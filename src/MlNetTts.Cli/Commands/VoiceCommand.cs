using System.CommandLine;
using MlNetTts.Audio;
using MlNetTts.Cli.Console;
using MlNetTts.Runtime;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using MlNetTts.Voices;
using TorchSharp;

namespace MlNetTts.Cli.Commands;

/// <summary><c>voice export</c>: turn a Tacotron 2 training checkpoint into a compact voice folder that <c>synthesize --voice</c> and the library load.</summary>
internal static class VoiceCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("voice", "Work with voice folders (voice.json + Tacotron 2 weights): the form in which the bundled default voice ships.");
        command.Add(Export(console));
        CliApplication.RequireSubcommand(command, console, "mlnet-tts voice: name a subcommand (export).");
        return command;
    }

    private static Command Export(CliConsole console)
    {
        var checkpoint = new Argument<string[]>("checkpoint")
        {
            Description = "A Tacotron 2 checkpoint: ours from 'train tacotron2', or NVIDIA's. Several checkpoints of one run (e.g. the last epochs) are averaged weight by weight.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--output-dir", "-o") { Description = "The voice folder to write (created if missing).", Required = true };
        var name = new Option<string>("--name") { Description = "Short name of the voice.", Required = true };
        var description = CliOptions.WithDefault("--description", "", "One line on the voice (data, teacher).");
        var dtype = CliOptions.Choice("--dtype", "fp16", "Storage type of the weights (fp16 halves the size; computation stays fp32 or mixed).", "fp16", "bf16", "fp32");
        var sentenceLength = CliOptions.PositiveInt("--max-sentence-length", VoiceManifest.DefaultSentenceMaxLength,
            "Longest piece (characters) the voice speaks at once; keep it near the longest training transcript.");
        var iterations = CliOptions.PositiveInt("--griffin-lim-iters", GriffinLim.DefaultIterations, "Griffin-Lim iterations recorded as the voice's default.");
        var sharpening = CliOptions.NonNegative("--mel-sharpening", 0, "Mel sharpening (unsharp masking along time before vocoding) recorded as the voice's default; 0 = off.");
        var fmax = CliOptions.NonNegative("--mel-fmax", MelSettings.Default.FMax, "Highest mel frequency (Hz) the model was trained with.");
        var pronunciations = new Option<string?>("--pronunciations") { Description = $"The CMUdict-format dictionary the model was trained with (train tacotron2 --pronunciations), copied into the voice as {Voice.DefaultPronunciationsFile} so it reads known words as phones." };
        var candidates = CliOptions.PositiveInt("--candidates", 1, $"Draws decoded per sentence, the best-attended kept, recorded as the voice's default (1-{TextSynthesisOptions.MaxCandidates}; 1: a single draw).");
        var maxSteps = new Option<int?>("--max-decoder-steps") { Description = "Decoder step cap stored with the voice (default: the checkpoint's); a cap near the longest sentence's need stops a babbling decoder early." };
        maxSteps.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--max-decoder-steps must be at least 1."); });
        var gate = new Option<double?>("--gate-threshold") { Description = "Stop probability at which decoding ends, stored with the voice (default: the checkpoint's, 0.5 for the reference)." };
        gate.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is { } g && !(g > 0 && g < 1)) r.AddError("--gate-threshold must be between 0 and 1."); });
        var command = new Command("export", "Write a voice folder from a Tacotron 2 checkpoint: weights (fp16 by default) and voice.json, each written atomically.")
        {
            checkpoint, output, name, description, dtype, sentenceLength, iterations, sharpening, fmax, candidates, pronunciations, maxSteps, gate,
        };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            string[] paths = result.GetValue(checkpoint)!;
            foreach (string path in paths)
                if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint.", path);
            TorchRuntime.EnsureLoaded();
            var manifest = new VoiceManifest
            {
                Name = result.GetValue(name)!,
                Description = result.GetValue(description)!,
                Tacotron2 = new(), // replaced by the checkpoint's architecture
                Mel = MelSettings.Default with { FMax = result.GetValue(fmax) },
                SentenceMaxLength = result.GetValue(sentenceLength),
                GriffinLimIterations = result.GetValue(iterations),
                MelSharpening = result.GetValue(sharpening),
                Candidates = result.GetValue(candidates),
            };
            var type = result.GetValue(dtype) switch { "bf16" => torch.ScalarType.BFloat16, "fp32" => torch.ScalarType.Float32, _ => torch.ScalarType.Float16 };
            var dictionary = result.GetValue(pronunciations) is { } dictionaryPath ? PronunciationDictionary.Load(dictionaryPath) : null;
            var voice = Voice.Export(paths, result.GetValue(output)!, manifest, type, result.GetValue(maxSteps), result.GetValue(gate), dictionary);
            string source = paths.Length == 1 ? "" : $", the average of {paths.Length} checkpoints";
            console.Out.WriteLine($"{voice.Directory}: voice '{voice.Manifest.Name}', {new FileInfo(voice.WeightsPath).Length / 1e6:0.0} MB of weights{source}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
