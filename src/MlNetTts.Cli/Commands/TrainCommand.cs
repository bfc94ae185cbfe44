using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetTts.Audio;
using MlNetTts.Cli.Console;
using MlNetTts.Cli.Training;
using MlNetTts.Nn;
using MlNetTts.Runtime;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using MlNetTts.Training;
using MlNetTts.Voices;
using MlNetTts.WaveGlow;

namespace MlNetTts.Cli.Commands;

/// <summary>
/// <c>train tacotron2|waveglow</c>: NVIDIA's train.py over Core's <see cref="Tacotron2Trainer"/> and
/// <see cref="WaveGlowTrainer"/>. Options left out take the reference's defaults (or, with --resume, the run's saved
/// options); a --config JSON overrides model sizes for a fresh run.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The CSV log (step,epoch,train_loss,val_loss) in the output folder.</summary>
    public const string LossLogName = "loss.csv";

    private static readonly JsonSerializerOptions ConfigJson = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Command Create(CliConsole console)
    {
        var command = new Command("train", "Train Tacotron 2 or WaveGlow as NVIDIA's train.py, on a dataset prepare accepts. Writes checkpoints (checkpoint_<Model>_<epoch>.safetensors), TensorBoard events and loss.csv (for 'plot loss') to --output-dir; Ctrl+C writes checkpoint_<Model>_cancelled.safetensors and exits 130.");
        command.Add(Tacotron2(console));
        command.Add(WaveGlow(console));
        CliApplication.RequireSubcommand(command, console, "mlnet-tts train: name the model: tacotron2 or waveglow.");
        return command;
    }

    private sealed class Common
    {
        public Argument<string> Dataset { get; } = new("dataset") { Description = "LJSpeech folder (metadata.csv + wavs/), its metadata.csv, or a 'path|text' file list." };
        public Option<string?> AudioRoot { get; } = new("--audio-root") { Description = "Folder the listing's audio paths are relative to (default: wavs/ next to metadata.csv, or the current folder)." };
        public Option<string?> Validation { get; } = new("--validation") { Description = "Validation listing (same forms as the dataset); its loss is logged per epoch." };
        public Option<string> OutputDir { get; } = CliOptions.WithDefault("--output-dir", "train-output", "Folder for checkpoints, TensorBoard events and loss.csv.", "-o");
        public Option<int?> Epochs { get; } = new("--epochs") { Description = "Epochs to train (a resumed run continues up to this many)." };
        public Option<int?> BatchSize { get; } = new("--batch-size", "-bs") { Description = "Items per batch." };
        public Option<double?> LearningRate { get; } = new("--learning-rate", "-lr") { Description = "Adam learning rate." };
        public Option<int[]?> AnnealSteps { get; } = new("--anneal-steps") { Description = "Epochs at which the learning rate is annealed.", AllowMultipleArgumentsPerToken = true };
        public Option<double?> AnnealFactor { get; } = new("--anneal-factor") { Description = "Anneal factor (0.1 or 0.3 in the reference)." };
        public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = "Adam L2 weight decay." };
        public Option<double?> GradClip { get; } = new("--grad-clip-thresh") { Description = "Clip gradients to this global norm (0: off)." };
        public Option<int?> EpochsPerCheckpoint { get; } = new("--epochs-per-checkpoint") { Description = "Checkpoint every N epochs (and after the last)." };
        public Option<string?> Precision { get; } = new("--precision") { Description = "fp32 or mixed (bf16 on CPU, fp16 on CUDA)." };
        public Option<bool> Amp { get; } = new("--amp") { Description = "Same as --precision mixed (NVIDIA's --amp-run)." };
        public Option<long?> Seed { get; } = new("--seed") { Description = "Seed of data order, segments and weights." };
        public Option<string?> Resume { get; } = new("--resume") { Description = "Continue from one of our training checkpoints (weights, optimizer, position); given options replace the saved ones." };
        public Option<string?> Config { get; } = new("--config") { Description = "JSON of model config overrides for a fresh run (property names of Tacotron2Config/WaveGlowConfig, e.g. {\"EncoderEmbeddingDim\": 64}). With a Tacotron 2 --checkpoint: overrides of the checkpoint's configuration that may only widen AttentionRnnDim/DecoderRnnDim; the added units start with zero outgoing weights, so the model computes what it did." };
        public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Warm start: weights from a checkpoint (ours or NVIDIA's) or a voice folder, fresh optimizer." };
        public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress output (the CSV log is still written)." };

        public void AddTo(Command c)
        {
            c.Add(Dataset);
            foreach (var o in new Option[] { AudioRoot, Validation, OutputDir, Epochs, BatchSize, LearningRate, AnnealSteps, AnnealFactor, WeightDecay, GradClip, EpochsPerCheckpoint, Precision, Amp, Seed, Resume, Config, Checkpoint, Quiet })
                c.Add(o);
        }

        public T Apply<T>(ParseResult r, T o) where T : TrainingOptions
        {
            if (r.GetValue(Resume) is not null && (r.GetValue(Config) is not null || r.GetValue(Checkpoint) is not null))
                throw new UsageException("--resume continues a run with its saved model; --config and --checkpoint start a new one: give one or the other.");
            if (r.GetValue(Epochs) is { } e) o = o with { Epochs = e };
            if (r.GetValue(BatchSize) is { } b) o = o with { BatchSize = b };
            if (r.GetValue(LearningRate) is { } lr) o = o with { LearningRate = lr };
            if (r.GetValue(AnnealSteps) is { } a) o = o with { AnnealSteps = a };
            if (r.GetValue(AnnealFactor) is { } f) o = o with { AnnealFactor = f };
            if (r.GetValue(WeightDecay) is { } w) o = o with { WeightDecay = w };
            if (r.GetValue(GradClip) is { } g) o = o with { GradientClipThreshold = g > 0 ? g : null };
            if (r.GetValue(EpochsPerCheckpoint) is { } k) o = o with { EpochsPerCheckpoint = k };
            if (r.GetValue(Seed) is { } s) o = o with { Seed = s };
            string? p = r.GetValue(Amp) ? "mixed" : r.GetValue(Precision);
            if (p is not null)
                o = o with { Precision = p switch { "fp32" => Nn.Precision.Float32, "mixed" or "amp" => Nn.Precision.Mixed, _ => throw new UsageException($"--precision {p}: expected fp32 or mixed.") } };
            o = o with { OutputDirectory = Path.GetFullPath(r.GetValue(OutputDir)!) };
            try
            {
                o.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message);
            }
            return o;
        }

        public TConfig ReadConfig<TConfig>(ParseResult r, TConfig defaults) where TConfig : class
        {
            if (r.GetValue(Config) is not { } path) return defaults;
            if (!File.Exists(path)) throw new FileNotFoundException($"--config {path}: no such file.", path);
            // Overrides: serialize the defaults, overlay the file's properties, read back.
            var merged = JsonSerializer.SerializeToNode(defaults, ConfigJson)!.AsObject();
            System.Text.Json.Nodes.JsonObject overrides;
            try
            {
                overrides = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })?.AsObject()
                    ?? throw new InvalidDataException($"--config {path}: expected a JSON object.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"--config {path}: not valid JSON ({e.Message}).", e);
            }
            foreach (var (key, value) in overrides)
            {
                var name = merged.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidDataException($"--config {path}: unknown property '{key}' (known: {string.Join(", ", merged.Select(kv => kv.Key))}).");
                merged[name] = value?.DeepClone();
            }
            return merged.Deserialize<TConfig>(ConfigJson) ?? defaults;
        }
    }

    private static Command Tacotron2(CliConsole console)
    {
        var common = new Common();
        var guided = new Option<double?>("--guided-attention-weight") { Description = "Weight of the guided-attention loss (0: the reference loss only)." };
        var gateWeight = new Option<double?>("--gate-positive-weight") { Description = "Weight of the stop targets in the gate loss (1: the reference); 5-10 teaches the gate to stop in far fewer steps." };
        var scheduledSampling = new Option<double?>("--scheduled-sampling") { Description = "Fraction of decoder steps fed the model's own prediction (from a teacher-forced pass without gradients) instead of the recorded frames; 0: teacher forcing, as the reference. Adds that pass to every step." };
        var melLoss = new Option<string?>("--mel-loss") { Description = "How the mels are scored in training: mse (the reference), l1, or l1+mse (L1 blurs a small model's mels less). Validation reports the reference's loss either way." };
        melLoss.AcceptOnlyFromAmong("mse", "l1", "l1+mse");
        var framesPerStep = new Option<int?>("--n-frames-per-step") { Description = "Mel frames per decoder step (fresh runs; overrides --config)." };
        var melCache = new Option<string?>("--mel-cache") { Description = "Folder of mels from 'prepare --mel-cache' (<id>.safetensors); clips not in it are computed from the WAV." };
        var pronunciations = new Option<string?>("--pronunciations") { Description = "A CMUdict-format dictionary: every transcript's known words become ARPAbet phones in braces before encoding (unknown words stay letters); synthesize with the same dictionary. Not saved in checkpoints: give it again with --resume." };
        var phonesFromLetters = new Option<bool>("--phones-from-letters") { Description = "With --checkpoint of a model trained on letters: start each ARPAbet symbol's embedding from the letters that usually spell it, before training with --pronunciations." };
        var command = new Command("tacotron2", "Train Tacotron 2 (text -> mel) as NVIDIA's 'train.py -m Tacotron2'.");
        common.AddTo(command);
        command.Add(guided);
        command.Add(gateWeight);
        command.Add(scheduledSampling);
        command.Add(melLoss);
        command.Add(framesPerStep);
        command.Add(melCache);
        command.Add(pronunciations);
        command.Add(phonesFromLetters);
        command.SetAction(r => CliApplication.Guard(console, command, () =>
        {
            TorchRuntime.EnsureLoaded();
            var dictionary = r.GetValue(pronunciations) is { } dictionaryPath ? PronunciationDictionary.Load(dictionaryPath) : null;
            var options = new Tacotron2TrainingOptions();
            Tacotron2Trainer trainer;
            string? resume = r.GetValue(common.Resume);
            if (resume is not null)
            {
                if (r.GetValue(phonesFromLetters)) throw new UsageException("--phones-from-letters applies when a run starts (--checkpoint), not to --resume.");
                RequireFile(resume, "--resume");
                using var saved = Tacotron2Trainer.Resume(resume);
                options = saved.Options;
                saved.Model.Dispose();
            }
            // Model-specific options first: Apply validates the whole set, so a bad value here is a usage error too.
            if (r.GetValue(guided) is { } gw) options = options with { GuidedAttentionWeight = gw };
            if (r.GetValue(gateWeight) is { } pw) options = options with { GatePositiveWeight = pw };
            if (r.GetValue(scheduledSampling) is { } ss) options = options with { ScheduledSampling = ss };
            if (r.GetValue(melLoss) is { } ml) options = options with { MelLoss = ParseMelLoss(ml) };
            options = common.Apply(r, options);
            if (resume is not null)
                trainer = Tacotron2Trainer.Resume(resume, options);
            else
            {
                Tacotron2Model model;
                if (r.GetValue(common.Checkpoint) is { } warm)
                {
                    model = WarmStart(RequireFileOrVoice(warm, "--checkpoint"), own => common.ReadConfig(r, own), options.Seed);
                    if (r.GetValue(phonesFromLetters)) PhoneEmbeddings.FromLetters(model);
                }
                else
                {
                    if (r.GetValue(phonesFromLetters)) throw new UsageException("--phones-from-letters starts from a trained model's letters: give --checkpoint.");
                    var config = common.ReadConfig(r, new Tacotron2Config());
                    if (r.GetValue(framesPerStep) is { } n) config = config with { FramesPerStep = n };
                    TorchSharp.torch.manual_seed(options.Seed);
                    model = new Tacotron2Model(config);
                }
                trainer = new Tacotron2Trainer(model, options);
            }
            using var _ = trainer;
            using var __ = trainer.Model;
            var mel = new MelSettings { MelChannels = trainer.Model.Config.MelChannels };
            string? cache = r.GetValue(melCache);
            var train = TrainingData.TextMel(TrainingData.Entries(r.GetValue(common.Dataset)!, r.GetValue(common.AudioRoot)), mel, cache, null, dictionary);
            var validation = r.GetValue(common.Validation) is { } v ? TrainingData.TextMel(TrainingData.Entries(v, r.GetValue(common.AudioRoot)), mel, cache, null, dictionary) : null;
            return Fit(console, r.GetValue(common.Quiet), options, "Tacotron2", train.Count, report => trainer.Fit(train, validation, report, console.Cancellation));
        }));
        return command;
    }

    private static Command WaveGlow(CliConsole console)
    {
        var common = new Common();
        var segment = new Option<int?>("--segment-length") { Description = "Audio samples per training segment." };
        var sigma = new Option<double?>("--sigma") { Description = "Standard deviation of the latent prior in the loss." };
        var command = new Command("waveglow", "Train WaveGlow (mel -> audio) as NVIDIA's 'train.py -m WaveGlow'.");
        common.AddTo(command);
        command.Add(segment);
        command.Add(sigma);
        command.SetAction(r => CliApplication.Guard(console, command, () =>
        {
            TorchRuntime.EnsureLoaded();
            var options = new WaveGlowTrainingOptions();
            string? resume = r.GetValue(common.Resume);
            if (resume is not null)
            {
                RequireFile(resume, "--resume");
                using var saved = WaveGlowTrainer.Resume(resume);
                options = saved.Options;
                saved.Model.Dispose();
            }
            if (r.GetValue(segment) is { } s) options = options with { SegmentLength = s };
            if (r.GetValue(sigma) is { } sg) options = options with { Sigma = sg };
            options = common.Apply(r, options);
            WaveGlowTrainer trainer;
            if (resume is not null)
                trainer = WaveGlowTrainer.Resume(resume, options);
            else
            {
                WaveGlowModel model;
                if (r.GetValue(common.Checkpoint) is { } warm) model = WaveGlowTrainer.LoadModel(RequireFile(warm, "--checkpoint"));
                else
                {
                    var config = common.ReadConfig(r, new WaveGlowConfig());
                    TorchSharp.torch.manual_seed(options.Seed);
                    model = new WaveGlowModel(config, weightNorm: true);
                }
                trainer = new WaveGlowTrainer(model, options);
            }
            using var _ = trainer;
            using var __ = trainer.Model;
            var train = TrainingData.Audio(TrainingData.Entries(r.GetValue(common.Dataset)!, r.GetValue(common.AudioRoot)), options.Mel.SampleRate, null);
            var validation = r.GetValue(common.Validation) is { } v ? TrainingData.Audio(TrainingData.Entries(v, r.GetValue(common.AudioRoot)), options.Mel.SampleRate, null) : null;
            return Fit(console, r.GetValue(common.Quiet), options, "WaveGlow", train.Count, report => trainer.Fit(train, validation, report, console.Cancellation));
        }));
        return command;
    }

    private static int Fit(CliConsole console, bool quiet, TrainingOptions options, string model, int clips, Func<IProgress<TrainingProgress>, TrainingResult> fit)
    {
        string output = options.OutputDirectory!;
        Directory.CreateDirectory(output);
        if (!quiet) console.Error.WriteLine($"training {model} on {clips} clip(s): {options.Epochs} epoch(s), batch {options.BatchSize}, lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, {options.Precision}; output {output}");
        using var reporter = new TrainingReporter(console, Path.Combine(output, LossLogName), options.Epochs, quiet);
        var result = reporter.Run(() => fit(reporter));
        var c = CultureInfo.InvariantCulture;
        console.Out.WriteLine(string.Create(c, $"{(result.Cancelled ? "cancelled" : "done")}: {result.EpochsCompleted} epoch(s), {result.Iterations} step(s) ({result.SkippedSteps} skipped), last epoch loss {result.LastEpochLoss:0.000000}")
            + (result.ValidationLoss is { } v ? string.Create(c, $", validation loss {v:0.000000}") : ""));
        if (result.LastCheckpoint is not null) console.Out.WriteLine($"checkpoint: {result.LastCheckpoint}");
        console.Out.WriteLine($"loss log: {Path.Combine(output, LossLogName)}");
        return result.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
    }

    /// <summary>
    /// A Tacotron 2 warm start: the checkpoint's model, widened (<see cref="Tacotron2Widening"/>) when
    /// <paramref name="configFor"/> (--config over the checkpoint's configuration) asks for wider LSTMs; the added
    /// units' fresh weights are drawn from <paramref name="seed"/>.
    /// </summary>
    private static Tacotron2Model WarmStart(string checkpoint, Func<Tacotron2Config, Tacotron2Config> configFor, long seed)
    {
        var model = Tacotron2Trainer.LoadModel(checkpoint);
        try
        {
            var config = configFor(model.Config);
            if (config == model.Config) return model;
            TorchSharp.torch.manual_seed(seed);
            var wide = Tacotron2Widening.Widen(model, config);
            model.Dispose();
            return wide;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>--mel-loss's spelling (already restricted to its choices) as a <see cref="MelLoss"/>.</summary>
    internal static MelLoss ParseMelLoss(string name) => name switch
    {
        "mse" => MelLoss.Mse,
        "l1" => MelLoss.L1,
        "l1+mse" => MelLoss.L1PlusMse,
        _ => throw new UsageException($"--mel-loss {name}: expected mse, l1 or l1+mse."),
    };

    private static string RequireFile(string path, string option) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"{option} {path}: no such file.", path);

    private static string RequireFileOrVoice(string path, string option) =>
        File.Exists(path) || File.Exists(Path.Combine(path, Voice.ManifestFileName))
            ? path
            : throw new FileNotFoundException($"{option} {path}: no such checkpoint file or voice folder (a folder with {Voice.ManifestFileName}).", path);
}
