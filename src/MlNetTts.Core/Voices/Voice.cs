using System.Text.Json;
using MlNetTts.Checkpoints;
using MlNetTts.IO;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Voices;

/// <summary>
/// A voice folder: <c>voice.json</c> (<see cref="VoiceManifest"/>) and the Tacotron 2 weights it names. The library
/// ships one, trained here from a public-domain corpus (see <c>voices/default/MODEL_CARD.md</c> in the repository); it
/// is copied next to every program that references MlNetTts.Core, under <see cref="DefaultDirectory"/>.
/// </summary>
public sealed class Voice
{
    /// <summary>The manifest's file name inside a voice folder.</summary>
    public const string ManifestFileName = "voice.json";

    private static readonly JsonSerializerOptions Json = new(TrainingJson.Options) { WriteIndented = true };

    private Voice(string directory, VoiceManifest manifest, PronunciationDictionary? pronunciations)
    {
        Directory = directory;
        Manifest = manifest;
        Pronunciations = pronunciations;
    }

    /// <summary>Where the bundled default voice sits: <c>voices/default</c> next to the application.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "voices", "default");

    /// <summary>The folder the voice was read from.</summary>
    public string Directory { get; }

    /// <summary>What the voice is and how to speak with it.</summary>
    public VoiceManifest Manifest { get; }

    /// <summary>The words the voice reads as phones (<see cref="VoiceManifest.PronunciationsFile"/>), or null: it reads letters.</summary>
    public PronunciationDictionary? Pronunciations { get; }

    /// <summary>The full path of the weights file.</summary>
    public string WeightsPath => Path.Combine(Directory, Manifest.WeightsFile);

    /// <summary>The bundled default voice (<see cref="DefaultDirectory"/>).</summary>
    public static Voice LoadDefault()
    {
        if (!File.Exists(Path.Combine(DefaultDirectory, ManifestFileName)))
            throw new FileNotFoundException(
                $"The bundled default voice is missing: no {ManifestFileName} in {DefaultDirectory}. It is copied there by the build of any " +
                "project that references MlNetTts.Core; run the program from its build output folder.", Path.Combine(DefaultDirectory, ManifestFileName));
        return Load(DefaultDirectory);
    }

    /// <summary>Reads a voice folder's manifest and checks that its weights file exists (the weights load in <see cref="CreateTacotron2"/>).</summary>
    public static Voice Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var manifestPath = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"Voice folder {directory} has no {ManifestFileName}.", manifestPath);
        VoiceManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<VoiceManifest>(File.ReadAllText(manifestPath), Json)
                ?? throw new InvalidDataException($"{manifestPath} is empty (expected a voice manifest).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath} is not a valid voice manifest: {e.Message}", e);
        }
        if (manifest.Format != VoiceManifest.CurrentFormat)
            throw new InvalidDataException($"{manifestPath} has format '{manifest.Format}'; this library reads '{VoiceManifest.CurrentFormat}'.");
        if (!Audio.MelSharpening.IsValidAmount(manifest.MelSharpening))
            throw new InvalidDataException($"{manifestPath}: MelSharpening {manifest.MelSharpening} must be a finite number >= 0 (0 = off).");
        if (!TextSynthesisOptions.IsValidCandidates(manifest.Candidates))
            throw new InvalidDataException($"{manifestPath}: Candidates {manifest.Candidates} must be between 1 and {TextSynthesisOptions.MaxCandidates}.");
        if (!IsFileNameInFolder(manifest.WeightsFile))
            throw new InvalidDataException($"{manifestPath}: WeightsFile '{manifest.WeightsFile}' must be a file name inside the voice folder.");
        if (manifest.PronunciationsFile is { } dictionaryFile && !IsFileNameInFolder(dictionaryFile))
            throw new InvalidDataException($"{manifestPath}: PronunciationsFile '{dictionaryFile}' must be a file name inside the voice folder.");
        var full = Path.GetFullPath(directory);
        PronunciationDictionary? pronunciations = null;
        if (manifest.PronunciationsFile is { } file)
        {
            var path = Path.Combine(full, file);
            if (!File.Exists(path))
                throw new FileNotFoundException($"Voice '{manifest.Name}' in {directory}: pronunciations file {file} is missing.", path);
            pronunciations = PronunciationDictionary.Load(path);
        }
        var voice = new Voice(full, manifest, pronunciations);
        if (!File.Exists(voice.WeightsPath))
            throw new FileNotFoundException($"Voice '{manifest.Name}' in {directory}: weights file {manifest.WeightsFile} is missing.", voice.WeightsPath);
        return voice;
    }

    /// <summary>A float32 Tacotron 2 in eval mode with the voice's weights (checked strictly by name and shape).</summary>
    public Tacotron2Model CreateTacotron2()
    {
        var model = new Tacotron2Model(Manifest.Tacotron2);
        try
        {
            using var scope = NewDisposeScope();
            StateDictLoader.LoadInto(model, SafeTensorsFile.ReadAll(WeightsPath));
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Synthesis options with the voice's sentence length, draws and pronunciations; the rest as given.</summary>
    public TextSynthesisOptions SynthesisOptions(TextSynthesisOptions? options = null) =>
        (options ?? new TextSynthesisOptions()) with { SentenceMaxLength = Manifest.SentenceMaxLength, Candidates = Manifest.Candidates, Pronunciations = Pronunciations };

    private static bool IsFileNameInFolder(string name) =>
        name.Length > 0 && !Path.IsPathRooted(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>
    /// Writes a voice folder from a Tacotron 2 training checkpoint (or any checkpoint <see cref="Tacotron2Trainer.LoadModel"/>
    /// reads): the weights in <paramref name="weightType"/> (fp16 halves the size; the model computes in float32 or
    /// mixed precision either way) and the manifest, each atomically. Architecture and mel settings come from the
    /// checkpoint (its decoder step cap and gate threshold replaced by <paramref name="maxDecoderSteps"/> and
    /// <paramref name="gateThreshold"/> when given); <paramref name="manifest"/> supplies the rest. A model trained with
    /// a pronunciation dictionary speaks with it: <paramref name="pronunciations"/> is written into the folder
    /// (<see cref="VoiceManifest.PronunciationsFile"/>, default <see cref="DefaultPronunciationsFile"/>).
    /// </summary>
    public static Voice Export(string checkpointPath, string directory, VoiceManifest manifest, ScalarType weightType = ScalarType.Float16,
        int? maxDecoderSteps = null, double? gateThreshold = null, PronunciationDictionary? pronunciations = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        return Export([checkpointPath], directory, manifest, weightType, maxDecoderSteps, gateThreshold, pronunciations);
    }

    /// <summary>The pronunciations file's name when the manifest names none.</summary>
    public const string DefaultPronunciationsFile = "pronunciations.dict";

    /// <summary>
    /// Writes a voice folder from the weight average of several checkpoints of one run (see <see cref="CheckpointAverage"/>),
    /// as the single-checkpoint overload does from one.
    /// </summary>
    public static Voice Export(IReadOnlyList<string> checkpointPaths, string directory, VoiceManifest manifest, ScalarType weightType = ScalarType.Float16,
        int? maxDecoderSteps = null, double? gateThreshold = null, PronunciationDictionary? pronunciations = null)
    {
        using var model = CheckpointAverage.LoadTacotron2(checkpointPaths);
        return Export(model, directory, manifest, weightType, maxDecoderSteps, gateThreshold, pronunciations);
    }

    /// <summary>Writes a voice folder from a Tacotron 2 in memory (see the checkpoint overload).</summary>
    public static Voice Export(Tacotron2Model model, string directory, VoiceManifest manifest, ScalarType weightType = ScalarType.Float16,
        int? maxDecoderSteps = null, double? gateThreshold = null, PronunciationDictionary? pronunciations = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(manifest);
        if (weightType is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32))
            throw new ArgumentException($"Voice weights are stored as Float16, BFloat16 or Float32, not {weightType}.", nameof(weightType));
        Audio.MelSharpening.Check(manifest.MelSharpening, "manifest.MelSharpening");
        if (!TextSynthesisOptions.IsValidCandidates(manifest.Candidates))
            throw new ArgumentOutOfRangeException(nameof(manifest), manifest.Candidates, $"manifest.Candidates must be between 1 and {TextSynthesisOptions.MaxCandidates}.");
        if (maxDecoderSteps is < 1) throw new ArgumentOutOfRangeException(nameof(maxDecoderSteps), maxDecoderSteps, "The decoder step cap must be at least 1.");
        System.IO.Directory.CreateDirectory(directory);
        if (gateThreshold is { } g && !(g > 0 && g < 1)) throw new ArgumentOutOfRangeException(nameof(gateThreshold), gateThreshold, "The gate threshold must be between 0 and 1.");
        var config = model.Config with
        {
            MaxDecoderSteps = maxDecoderSteps ?? model.Config.MaxDecoderSteps,
            GateThreshold = gateThreshold ?? model.Config.GateThreshold,
        };
        if (pronunciations is null && manifest.PronunciationsFile is not null)
            throw new ArgumentException($"manifest.PronunciationsFile is '{manifest.PronunciationsFile}' but no dictionary was given to write there.", nameof(pronunciations));
        if (manifest.PronunciationsFile is { } named && !IsFileNameInFolder(named))
            throw new ArgumentException($"manifest.PronunciationsFile '{named}' must be a file name inside the voice folder.", nameof(manifest));
        var written = manifest with
        {
            Format = VoiceManifest.CurrentFormat,
            Tacotron2 = config,
            PronunciationsFile = pronunciations is null ? null : manifest.PronunciationsFile ?? DefaultPronunciationsFile,
        };
        if (pronunciations is not null)
            AtomicFile.Write(Path.Combine(directory, written.PronunciationsFile!), stream =>
            {
                using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
                pronunciations.WriteTo(writer);
            });
        using (var scope = NewDisposeScope())
        {
            var tensors = model.state_dict()
                .Select(kv => (kv.Key, kv.Value.is_floating_point() ? kv.Value.detach().to_type(weightType) : kv.Value.detach()))
                .ToList();
            var metadata = new Dictionary<string, string> { ["format"] = VoiceManifest.CurrentFormat, ["voice"] = written.Name };
            AtomicFile.Write(Path.Combine(directory, written.WeightsFile), stream => SafeTensorsWriter.Write(stream, tensors, metadata));
        }
        AtomicFile.WriteAllText(Path.Combine(directory, ManifestFileName), JsonSerializer.Serialize(written, Json));
        return Load(directory);
    }
}
