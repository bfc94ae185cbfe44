using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Persistence;
using MlNetTts.Speech;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(TextToMelTransformer), null, typeof(SignatureLoadModel),
    "MlNetTts Text To Mel Transformer", TextToMelTransformer.LoaderSignature)]

namespace MlNetTts.Speech;

/// <summary>
/// TextToMel: text column -> log-mel column with a Tacotron 2 model (NVIDIA's, port in MlNetTts.Tacotron2), in
/// <see cref="MelColumn"/>'s layout with <see cref="AudioAnnotations"/> — the same as ExtractMel — plus optional
/// alignment, mel length and step-cap columns (<see cref="TextToMelOptions"/>).
/// </summary>
/// <remarks>
/// Scoring an <see cref="IDataView"/> gathers <see cref="TextToMelOptions.BatchSize"/> rows, decodes their sentences in
/// one batched inference and yields the rows in input order; PredictionEngine scores one row at a time. With prenet
/// dropout off a row's mel does not depend on its batch. A text is split into sentences (longer ones cut at clauses),
/// and the sentences' mels are joined with <see cref="TextToMelOptions.SentencePause"/> of silence (log-mel of 1e-5),
/// so a following MelToAudio stays row to row. An empty text, or one with nothing speakable (no symbol survives
/// cleaning), gives an empty mel (0 frames), mel length 0 and no step-cap flag.
/// The model zip stores these settings, the model config and the weights (one binary stream).
/// <para>Threads: the transformer may be shared by any number of threads (Transform, cursors, PredictionEngines), and
/// its outputs do not depend on which thread asks. ML.NET's PredictionEngine is NOT thread-safe: give each thread its
/// own engine (e.g. a ThreadLocal), or keep a pool of engines that a thread uses only between taking and returning one.</para>
/// Decoding of one model runs one batch at a time (the model's settings and torch's generator are shared).
/// </remarks>
public sealed class TextToMelTransformer : ITransformer, ICanSaveModel
{
    internal const string LoaderSignature = "MlNetTtsTextToMel";
    private const string WeightsStream = "Tacotron2Weights";

    private readonly TextToMelSettings _settings;
    private readonly TextToMelOutputs _outputs;
    private readonly Tacotron2Synthesizer _synthesizer;

    internal TextToMelTransformer(IHostEnvironment env, TextToMelSettings settings, Tacotron2Model model)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(model);
        settings.Validate(model.Config.MelChannels);
        _settings = settings;
        Model = model;
        Device = SpeechEnvironment.Device(env);
        Model.eval();
        Model.to(Device);
        _outputs = new TextToMelOutputs(settings);
        _synthesizer = new Tacotron2Synthesizer(model, settings, Device);
    }

    /// <summary>The Tacotron 2 model.</summary>
    public Tacotron2Model Model { get; }

    /// <summary>Where the model runs (from MLContext.GpuDeviceId / FallbackToCpu).</summary>
    public Device Device { get; }

    /// <summary>Name of the text column.</summary>
    public string InputColumnName => _settings.InputColumnName;

    /// <summary>Name of the mel column.</summary>
    public string OutputColumnName => _settings.OutputColumnName;

    /// <summary>The mel settings written as the mel column's annotations.</summary>
    public MelSettings MelSettings => _settings.MelSettings;

    /// <summary>Rows (and sentences) per batched inference.</summary>
    public int BatchSize => _settings.BatchSize;

    /// <summary>Seed of the prenet dropout (from the MLContext at Fit; kept in the model zip).</summary>
    public int Seed => _settings.Seed;

    /// <summary>Draws decoded per sentence, the best-attended kept (<see cref="TextToMelOptions.Candidates"/>).</summary>
    public int Candidates => _settings.Candidates;

    /// <summary>The words read as phones (<see cref="TextToMelOptions.Pronunciations"/>), or null: letters.</summary>
    public PronunciationDictionary? Pronunciations => _settings.Pronunciations;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _outputs.OutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new TextToMelRowMapper(_outputs, _synthesizer, inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new TextToMelView(_outputs, _synthesizer, _settings.BatchSize, input);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        var s = _settings;
        ctx.SaveNonEmptyString(s.InputColumnName);
        ctx.SaveNonEmptyString(s.OutputColumnName);
        ctx.SaveStringOrNull(s.AlignmentColumnName);
        ctx.SaveStringOrNull(s.MelLengthColumnName);
        ctx.SaveStringOrNull(s.HitMaxDecoderStepsColumnName);
        var w = ctx.Writer;
        w.Write(s.BatchSize);
        w.Write(s.MaxDecoderSteps ?? 0);
        w.Write(s.GateThreshold ?? double.NaN);
        w.Write(s.PrenetDropout);
        w.Write((int)s.Precision);
        w.Write(s.SentenceMaxLength);
        w.Write(s.SentencePauseFrames);
        w.Write(s.Seed);
        var m = s.MelSettings;
        w.Write(m.SampleRate); w.Write(m.FilterLength); w.Write(m.HopLength); w.Write(m.WinLength); w.Write(m.MelChannels); w.Write(m.FMin); w.Write(m.FMax);
        w.Write(s.Candidates); // since 0x00010002
        w.Write(s.Pronunciations is not null); // since 0x00010003, the entries in their own stream
        if (s.Pronunciations is { } dictionary) ctx.SaveTextStream(PronunciationsStream, dictionary.WriteTo);
        ModelConfigRecord.Write(w, Model.Config.ToCheckpointConfig());
        ModuleWeightsStream.Save(ctx, WeightsStream, Model);
    }

    /// <summary>ML.NET's loader entry (found by name through the LoadableClass attribute).</summary>
    internal static TextToMelTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var input = ctx.LoadNonEmptyString();
        var output = ctx.LoadNonEmptyString();
        var alignment = ctx.LoadStringOrNull();
        var length = ctx.LoadStringOrNull();
        var hit = ctx.LoadStringOrNull();
        var r = ctx.Reader;
        int batch = r.ReadInt32();
        int maxSteps = r.ReadInt32();
        double gate = r.ReadDouble();
        bool dropout = r.ReadBoolean();
        var precision = (Precision)r.ReadInt32();
        if (!Enum.IsDefined(precision)) throw new InvalidDataException($"TextToMel model: unknown precision {(int)precision}.");
        int sentenceMax = r.ReadInt32();
        int pause = r.ReadInt32();
        int seed = r.ReadInt32();
        var mel = new MelSettings
        {
            SampleRate = r.ReadInt32(), FilterLength = r.ReadInt32(), HopLength = r.ReadInt32(), WinLength = r.ReadInt32(),
            MelChannels = r.ReadInt32(), FMin = r.ReadDouble(), FMax = r.ReadDouble(),
        };
        // Zips written before draws per sentence existed decode one draw.
        int candidates = ctx.Header.ModelVerWritten >= CandidatesVersion ? r.ReadInt32() : 1;
        // Zips written before pronunciations existed read letters.
        PronunciationDictionary? pronunciations = null;
        if (ctx.Header.ModelVerWritten >= PronunciationsVersion && r.ReadBoolean()
            && !ctx.TryLoadTextStream(PronunciationsStream, reader => pronunciations = PronunciationDictionary.Read(reader, "TextToMel model zip: " + PronunciationsStream)))
            throw new InvalidDataException($"TextToMel model zip: the model reads pronunciations, but its {PronunciationsStream} entry is missing.");
        var config = Tacotron2Config.FromCheckpointConfig(ModelConfigRecord.Read(r));
        var settings = new TextToMelSettings
        {
            InputColumnName = input, OutputColumnName = output, AlignmentColumnName = alignment, MelLengthColumnName = length,
            HitMaxDecoderStepsColumnName = hit, BatchSize = batch, MaxDecoderSteps = maxSteps > 0 ? maxSteps : null,
            GateThreshold = double.IsNaN(gate) ? null : gate, PrenetDropout = dropout, Precision = precision,
            SentenceMaxLength = sentenceMax, SentencePauseFrames = pause, MelSettings = mel, Seed = seed, Candidates = candidates,
            Pronunciations = pronunciations,
        };
        ModelSizeGuard.Check(ctx, WeightsStream, ModelSizeGuard.Tacotron2Parameters(config), "Tacotron 2");
        var model = new Tacotron2Model(config);
        try
        {
            ModuleWeightsStream.Load(ctx, WeightsStream, model);
            return new TextToMelTransformer(env, settings, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The format version that added <see cref="TextToMelSettings.Candidates"/>.</summary>
    private const uint CandidatesVersion = 0x00010002;

    /// <summary>The format version that added <see cref="TextToMelSettings.Pronunciations"/>.</summary>
    private const uint PronunciationsVersion = 0x00010003;

    private const string PronunciationsStream = "Pronunciations.dict";

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "TTSTXMEL",
        verWrittenCur: PronunciationsVersion,
        verReadableCur: PronunciationsVersion,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(TextToMelTransformer).Assembly.FullName);
}
