using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MlNetTts.Audio;
using MlNetTts.Cli.Console;
using MlNetTts.Cli.Plots;
using MlNetTts.Cli.Synthesis;
using MlNetTts.Tacotron2;
using MlNetTts.Voices;
using MlNetTts.Text;
using TorchSharp;

namespace MlNetTts.Cli.Commands;

/// <summary>
/// <c>synthesize</c>: text to WAV files, as NVIDIA's inference.py, from a text argument, a file of lines or stdin.
/// Long lines are split into sentences (<see cref="SentenceSplitter"/>) whose audio is joined with a short pause.
/// </summary>
internal static class SynthesizeCommand
{
    public static Command Create(CliConsole console)
    {
        var text = new Argument<string?>("text") { Description = "What to say (omit to use --input-file or lines on stdin).", Arity = ArgumentArity.ZeroOrOne };
        // An unknown option would otherwise be taken for the text to say.
        text.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } t && t.StartsWith('-') && t.Length > 1 && !t.Contains(' ', StringComparison.Ordinal))
                r.AddError($"Unrecognized option '{t}' (to say text that starts with '-', put '--' before it).");
        });
        var inputFile = new Option<string?>("--input-file", "-i") { Description = "A text file: one utterance per line (blank lines skipped), one WAV each." };
        var withIds = new Option<bool>("--with-ids") { Description = "Lines are 'id|text'; the WAV is named <id>.wav (default: <prefix><line number>.wav)." };
        var prefix = CliOptions.WithDefault("--prefix", "audio-", "File name prefix for numbered outputs.");
        var outputDir = CliOptions.WithDefault("--output-dir", ".", "Folder for the WAV (and PNG) files; created if missing.", "-o");
        var tacotron2 = new Option<string?>("--tacotron2") { Description = "Tacotron 2 checkpoint (NVIDIA train.py or NGC .pt, or ours from 'train'). Without --tacotron2, --voice and --model: the bundled default voice." };
        var voice = new Option<string?>("--voice") { Description = "A voice folder (voice.json + weights, see 'voice export'); default: the bundled voice." };
        var modelZip = new Option<string?>("--model") { Description = "An ML.NET model zip (mlContext.Model.Save) holding TextToMel (+ MelToAudio); scored on Id/Text rows. Without a waveform column its mel is vocoded by Griffin-Lim. Its own batch/precision/decoder settings apply." };
        var vocoder = CliOptions.Choice("--vocoder", "auto", "Mel-to-audio model: waveglow (needs --waveglow), griffin-lim (no model, rough sound), or auto (waveglow when --waveglow is given, else griffin-lim).", "auto", "waveglow", "griffin-lim");
        var waveglow = new Option<string?>("--waveglow") { Description = "WaveGlow checkpoint (NVIDIA train.py or NGC .pt)." };
        var sigma = CliOptions.NonNegative("--sigma", 0.9, "WaveGlow noise scale (NVIDIA's --sigma-infer).");
        var denoiser = CliOptions.NonNegative("--denoiser-strength", 0.01, "WaveGlow bias removal strength; 0 turns the denoiser off.");
        var griffinLimIters = CliOptions.PositiveInt("--griffin-lim-iters", GriffinLim.DefaultIterations, "Griffin-Lim iterations.");
        var sharpening = CliOptions.NonNegative("--mel-sharpening", 0, "Sharpen each mel along time before vocoding (unsharp masking: frame-to-frame changes x (1 + amount)); 0 = off, as the reference. Default: the voice's (0 for --tacotron2).");
        var melFMax = CliOptions.NonNegative("--mel-fmax", 8000, "Highest mel frequency (Hz) the Tacotron 2 was trained with (Griffin-Lim's mel inversion).");
        var maxSteps = new Option<int?>("--max-decoder-steps") { Description = "Decoder step cap (default: the checkpoint's max_decoder_steps)." };
        var batchSize = CliOptions.PositiveInt("--batch-size", 1, "Sentences decoded together. No line reads another's text, but the prenet's always-on dropout draws its masks per batch, so a line can sound slightly different at another batch size (--seed makes a run repeatable).", "-bs");
        var precision = CliOptions.Choice("--precision", "fp32", "fp32, or mixed (bf16 on CPU, fp16 on CUDA for matmuls and convolutions).", "fp32", "mixed");
        var maxLength = CliOptions.PositiveInt("--max-sentence-length", SentenceSplitterOptions.DefaultMaxLength, "Longest piece (characters) spoken at once; longer sentences are cut at clause marks.");
        var pause = CliOptions.NonNegative("--sentence-pause", 0.2, "Silence (s) between the sentences of one line.");
        var level = CliOptions.Choice("--level", "peak", "Output level: peak (each file scaled to full scale, as NVIDIA's inference.py) or keep (the loudness the mel encodes, i.e. the training audio's; scaled down only where it would clip). Default: keep for a voice, peak for --tacotron2 and --model.", "peak", "keep");
        var candidates = new Option<int?>("--candidates") { Description = $"Decode each sentence N times (the prenet dropout draws differ) and keep the draw whose attention covers the most of its text (1-{TextSynthesisOptions.MaxCandidates}; default: the voice's, else 1, the reference's single draw)." };
        candidates.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, out int n) && !TextSynthesisOptions.IsValidCandidates(n))
                r.AddError($"--candidates must be between 1 and {TextSynthesisOptions.MaxCandidates}.");
        });
        var pronunciations = new Option<string?>("--pronunciations") { Description = "The CMUdict-format dictionary a model was trained with (train tacotron2 --pronunciations): known words are read as their ARPAbet phones (default: the voice's, if it has one)." };
        var seed = new Option<int?>("--seed") { Description = "Seed for the prenet dropout and vocoder noise (reproducible output)." };
        var plot = new Option<bool>("--plot") { Description = "Also write <name>.mel.png and <name>.alignment.png (one alignment per line: frames x symbols, block-diagonal over its sentences)." };
        var json = CliOptions.Json();

        var command = new Command("synthesize", "Speak text into 16-bit mono WAV files (22050 Hz), as NVIDIA's inference.py: from a text argument, a file of lines (--input-file) or lines on stdin. Each line becomes one file; long lines are split into sentences and joined. Prints the files written and the speed (RTF = seconds of audio per second of wall time; higher is faster).")
        {
            text, inputFile, withIds, prefix, outputDir, tacotron2, voice, modelZip, vocoder, waveglow, sigma, denoiser, griffinLimIters, sharpening, melFMax,
            maxSteps, batchSize, precision, maxLength, pause, level, candidates, pronunciations, seed, plot, json,
        };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            var lines = ReadInput(console, result.GetValue(text), result.GetValue(inputFile), result.GetValue(withIds), result.GetValue(prefix)!);
            int? seedValue = result.GetValue(seed);
            if (seedValue is { } s) torch.manual_seed(s);
            var generator = seedValue is { } g ? new torch.Generator((ulong)g) : null;
            if (result.GetValue(modelZip) is { } zip)
            {
                if (result.GetValue(tacotron2) is not null || result.GetValue(waveglow) is not null || result.GetValue(voice) is not null)
                    throw new UsageException("--model holds the whole chain: give either --model or --tacotron2/--voice/--waveglow, not both.");
                if (result.GetValue(candidates) is not null)
                    throw new UsageException("--candidates applies to --tacotron2 and --voice; a --model zip decodes with its own settings.");
                if (result.GetValue(pronunciations) is not null)
                    throw new UsageException("--pronunciations applies to --tacotron2 and --voice; a --model zip encodes text with its own settings.");
                using var zipped = new ModelZipSynthesizer(zip, result.GetValue(griffinLimIters), result.GetValue(sharpening), seedValue, generator);
                return Run(console, zipped, lines, Path.GetFullPath(result.GetValue(outputDir)!), result.GetValue(level) == "keep", result.GetValue(plot), result.GetValue(json));
            }
            if (result.GetValue(tacotron2) is not null && result.GetValue(voice) is not null)
                throw new UsageException("give either --tacotron2 or --voice, not both.");
            if (result.GetValue(maxSteps) is < 1) throw new UsageException("--max-decoder-steps must be at least 1.");
            var p = ModelLoading.ParsePrecision(result.GetValue(precision)!);
            var dictionary = result.GetValue(pronunciations) is { } dictionaryPath ? PronunciationDictionary.Load(dictionaryPath) : null;
            Voice? speaker = result.GetValue(tacotron2) is null ? ModelLoading.LoadVoice(result.GetValue(voice)) : null;
            string checkpoint = result.GetValue(tacotron2) ?? speaker!.WeightsPath;
            var model = speaker is null ? ModelLoading.Tacotron2(checkpoint, p) : ModelLoading.Tacotron2(speaker, p);
            string kind = result.GetValue(vocoder) is "auto" ? (result.GetValue(waveglow) is null ? "griffin-lim" : "waveglow") : result.GetValue(vocoder)!;
            // A voice knows its mel settings and the Griffin-Lim iterations its figures were measured with; explicit options win.
            int iterations = speaker is not null && !CliOptions.Given(result, griffinLimIters) ? speaker.Manifest.GriffinLimIterations : result.GetValue(griffinLimIters);
            double melSharpening = speaker is not null && !CliOptions.Given(result, sharpening) ? speaker.Manifest.MelSharpening : result.GetValue(sharpening);
            double fMax = speaker is not null && !CliOptions.Given(result, melFMax) ? speaker.Manifest.Mel.FMax : result.GetValue(melFMax);
            int sentenceLength = speaker is not null && !CliOptions.Given(result, maxLength) ? speaker.Manifest.SentenceMaxLength : result.GetValue(maxLength);
            // A voice's mels carry its training audio's loudness (Griffin-Lim keeps it); a checkpoint's output is normalized as inference.py does.
            bool keepLevel = CliOptions.Given(result, level) ? result.GetValue(level) == "keep" : speaker is not null;
            IVocoder voc;
            try
            {
                voc = ModelLoading.Vocoder(kind, result.GetValue(waveglow), allowRandom: false, model, checkpoint, p,
                    result.GetValue(sigma), result.GetValue(denoiser), iterations, fMax, generator);
                if (melSharpening > 0) voc = new SharpenedVocoder(voc, melSharpening);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            var options = new TextSynthesisOptions
            {
                BatchSize = result.GetValue(batchSize),
                MaxDecoderSteps = result.GetValue(maxSteps),
                Precision = p,
                SentenceMaxLength = sentenceLength,
                SentencePauseFrames = PauseFrames(result.GetValue(pause)),
                Seed = seedValue ?? new TextSynthesisOptions().Seed,
                Candidates = result.GetValue(candidates) ?? speaker?.Manifest.Candidates ?? 1,
                Pronunciations = dictionary ?? speaker?.Pronunciations,
            };
            using var synthesizer = new SpeechSynthesizer(model, voc, options);
            return Run(console, synthesizer, lines, Path.GetFullPath(result.GetValue(outputDir)!), keepLevel, result.GetValue(plot), result.GetValue(json));
        }));
        return command;
    }

    private static IReadOnlyList<SynthesisLine> ReadInput(CliConsole console, string? text, string? inputFile, bool withIds, string prefix)
    {
        if (text is not null && inputFile is not null)
            throw new UsageException("give either the text argument or --input-file, not both.");
        IReadOnlyList<SynthesisLine> lines;
        if (text is not null)
            lines = SynthesisLine.FromLines([text], "the text argument", withIds, prefix);
        else if (inputFile is not null)
        {
            if (!File.Exists(inputFile)) throw new FileNotFoundException($"--input-file {inputFile}: no such file.", inputFile);
            lines = SynthesisLine.FromLines(File.ReadAllLines(inputFile), inputFile, withIds, prefix);
        }
        else if (console.InputIsRedirected)
            lines = SynthesisLine.FromLines(ReadAll(console.In), "stdin", withIds, prefix);
        else
            throw new UsageException("nothing to say: give the text, --input-file FILE, or pipe lines on stdin.");
        if (lines.Count == 0) throw new UsageException("the input has no text (only blank lines).");
        return lines;
    }

    private static IEnumerable<string> ReadAll(TextReader reader)
    {
        while (reader.ReadLine() is { } line) yield return line;
    }

    /// <summary>Seconds of pause as mel frames (the default 22050 Hz, hop 256 mel settings of the reference).</summary>
    private static int PauseFrames(double seconds)
    {
        var mel = new MelSettings();
        return (int)Math.Round(seconds * mel.SampleRate / mel.HopLength);
    }

    private static int Run(CliConsole console, ISpeechSynthesizer synthesizer, IReadOnlyList<SynthesisLine> lines, string outputDir, bool keepLevel, bool plot, bool json)
    {
        Directory.CreateDirectory(outputDir);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<SpokenText> spoken = [];
        ProgressReporter.Run(console, "Synthesizing", lines.Count, advance => spoken = synthesizer.Speak(lines.Select(l => l.Text).ToList(), plot, advance));
        clock.Stop();

        int sampleRate = synthesizer.SampleRate;
        var outputs = new List<SynthesisOutput>();
        double audioSeconds = 0;
        foreach (var (line, speech) in lines.Zip(spoken))
        {
            var samples = speech.Audio;
            Normalize(samples, keepLevel);
            if (samples.Length == 0)
                throw new InvalidDataException($"{line.Name}: the model stopped before producing any audio (\"{line.Text}\"); is the Tacotron 2 checkpoint trained?");
            string wav = Path.Combine(outputDir, line.Name + ".wav");
            WaveFile.Write(wav, samples, sampleRate);
            audioSeconds += (double)samples.Length / sampleRate;
            var pngs = new List<string>();
            if (plot) pngs.AddRange(WritePlots(outputDir, line.Name, speech));
            if (speech.HitMaxDecoderSteps && !json)
                console.Error.WriteLine($"warning: {line.Name}: the decoder hit --max-decoder-steps before stopping; the audio may be cut short.");
            outputs.Add(new SynthesisOutput(line.Name, wav, Math.Round((double)samples.Length / sampleRate, 3), speech.Sentences, speech.HitMaxDecoderSteps, pngs));
        }
        double wall = clock.Elapsed.TotalSeconds;
        double rtf = wall > 0 ? audioSeconds / wall : 0;
        if (json)
            JsonOutput.Write(console.Out, new { vocoder = synthesizer.VocoderName, sampleRate, audioSeconds = Math.Round(audioSeconds, 3), wallSeconds = Math.Round(wall, 3), rtf = Math.Round(rtf, 3), files = outputs });
        else
        {
            foreach (var o in outputs)
            {
                console.Out.WriteLine($"{o.Wav}  ({o.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s, {o.Sentences} sentence(s))");
                foreach (var png in o.Plots) console.Out.WriteLine($"{png}");
            }
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{outputs.Count} file(s), {audioSeconds:0.00} s of audio in {wall:0.00} s with {synthesizer.VocoderName}: RTF {rtf:0.00} (audio s / wall s; higher is faster)"));
        }
        return ExitCodes.Ok;
    }

    private static IEnumerable<string> WritePlots(string outputDir, string name, SpokenText speech)
    {
        string melPath = Path.Combine(outputDir, name + ".mel.png");
        Figures.Mel(melPath, speech.Mel, $"{name}: mel spectrogram");
        yield return melPath;
        if (speech.Alignment.Length == 0) yield break;
        string path = Path.Combine(outputDir, name + ".alignment.png");
        Figures.Alignment(path, speech.Alignment, $"{name}: alignment" + (speech.Sentences == 1 ? "" : $" ({speech.Sentences} sentences)"));
        yield return path;
    }

    // As inference.py: scale to full scale (audio / max|audio|), so quiet vocoder output is audible and nothing clips.
    // keepLevel: only the second half of that (a peak over full scale comes down to it); the vocoder's loudness stays.
    private static void Normalize(float[] samples, bool keepLevel)
    {
        float peak = 0;
        foreach (float s in samples) peak = Math.Max(peak, Math.Abs(s));
        if (peak <= 0 || !float.IsFinite(peak) || (keepLevel && peak <= 1)) return;
        for (int i = 0; i < samples.Length; i++) samples[i] /= peak;
    }

    private sealed record SynthesisOutput(string Name, string Wav, double Seconds, int Sentences, bool HitMaxDecoderSteps, IReadOnlyList<string> Plots);
}
