using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Columns;
using MlNetTts.Nn;
using MlNetTts.Persistence;
using MlNetTts.Speech;
using MlNetTts.WaveGlow;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(MelToAudioTransformer), null, typeof(SignatureLoadModel),
    "MlNetTts Mel To Audio Transformer", MelToAudioTransformer.LoaderSignature)]

namespace MlNetTts.Speech;

/// <summary>
/// MelToAudio: mel column (<see cref="MelColumn"/>'s layout) -> waveform column (float samples in [-1, 1] with a
/// SampleRate annotation, as LoadAudio writes it), by WaveGlow (sigma, denoiser) or Griffin-Lim.
/// </summary>
/// <remarks>
/// Each row is vocoded alone: WaveGlow's convolutions would let padding of a batch reach into a row's audio, and alone
/// the row's noise (a generator seeded with the MLContext seed per row) makes the audio a function of the mel only —
/// the same in any batch, process or after save/load. The mel settings come from the column's annotations (else
/// <see cref="MelToAudioOptions.MelSettings"/>, else the reference's); a WaveGlow must match their mel channels and hop
/// length, checked at schema time. WaveGlow gives frames x hop samples (denoised: rounded down to whole hops);
/// Griffin-Lim (frames - 1) x hop. A mel of 0 frames gives 0 samples. A mel holding NaN or infinity is refused
/// (<see cref="InvalidDataException"/> naming the column, frame and channel).
/// <para>Threads: the transformer may be shared by any number of threads (Transform, cursors, PredictionEngines), and
/// its outputs do not depend on which thread asks. ML.NET's PredictionEngine is NOT thread-safe: give each thread its
/// own engine (e.g. a ThreadLocal), or keep a pool of engines that a thread uses only between taking and returning one.</para>
/// </remarks>
public sealed class MelToAudioTransformer : ITransformer, ICanSaveModel
{
    internal const string LoaderSignature = "MlNetTtsMelToAudio";
    private const string WeightsStream = "WaveGlowWeights";

    private readonly ColumnAppender<VBuffer<float>> _appender;
    private readonly Lazy<Denoiser>? _denoiser;
    private readonly Dictionary<MelSettings, MelSpectrogram> _melSpectrograms = new();

    internal MelToAudioTransformer(IHostEnvironment env, string outputColumnName, string inputColumnName, MelVocoder vocoder, WaveGlowModel? model,
        double sigma, double denoiserStrength, int griffinLimIterations, double melSharpening, Precision precision, MelSettings? melSettings, int seed)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        if (!Enum.IsDefined(vocoder)) throw new ArgumentOutOfRangeException(nameof(vocoder), vocoder, "unknown vocoder.");
        if (vocoder == MelVocoder.WaveGlow && model is null) throw new ArgumentNullException(nameof(model), "MelToAudio with WaveGlow needs a model.");
        if (!(sigma >= 0) || double.IsInfinity(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "MelToAudio: Sigma must be a finite number >= 0.");
        if (!(denoiserStrength >= 0) || double.IsInfinity(denoiserStrength)) throw new ArgumentOutOfRangeException(nameof(denoiserStrength), denoiserStrength, "MelToAudio: DenoiserStrength must be a finite number >= 0 (0 = off).");
        ArgumentOutOfRangeException.ThrowIfNegative(griffinLimIterations);
        Audio.MelSharpening.Check(melSharpening, nameof(melSharpening));
        melSettings?.Validate();
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        Vocoder = vocoder;
        Sigma = sigma;
        DenoiserStrength = denoiserStrength;
        GriffinLimIterations = griffinLimIterations;
        MelSharpening = melSharpening;
        Precision = precision;
        FallbackMelSettings = melSettings;
        Seed = seed;
        Device = SpeechEnvironment.Device(env);
        if (model is not null && vocoder == MelVocoder.WaveGlow)
        {
            Model = model;
            if (model.IsWeightNormed) model.RemoveWeightNorm();
            model.eval();
            model.to(Device);
            model.Precision = precision;
            _denoiser = new Lazy<Denoiser>(() => new Denoiser(model), LazyThreadSafetyMode.ExecutionAndPublication);
        }
        _appender = new ColumnAppender<VBuffer<float>>(OutputColumnName, InputColumnName, new VectorDataViewType(NumberDataViewType.Single),
            column => _ = Resolve(column), column => AudioAnnotations.ForWaveform(Resolve(column).SampleRate), NewMapping);
    }

    /// <summary>Name of the waveform column.</summary>
    public string OutputColumnName { get; }

    /// <summary>Name of the mel column.</summary>
    public string InputColumnName { get; }

    /// <summary>WaveGlow or Griffin-Lim.</summary>
    public MelVocoder Vocoder { get; }

    /// <summary>The WaveGlow (null for Griffin-Lim).</summary>
    public WaveGlowModel? Model { get; }

    /// <summary>WaveGlow noise scale.</summary>
    public double Sigma { get; }

    /// <summary>WaveGlow denoiser strength (0 = off).</summary>
    public double DenoiserStrength { get; }

    /// <summary>Griffin-Lim iterations.</summary>
    public int GriffinLimIterations { get; }

    /// <summary><see cref="Audio.MelSharpening"/> amount applied to each mel before the vocoder (0: none).</summary>
    public double MelSharpening { get; }

    /// <summary>WaveGlow precision.</summary>
    public Precision Precision { get; }

    /// <summary>Mel settings for a mel column without annotations (null: the reference's).</summary>
    public MelSettings? FallbackMelSettings { get; }

    /// <summary>Seed of the per-row noise / initial phase (from the MLContext at Fit; kept in the model zip).</summary>
    public int Seed { get; }

    /// <summary>Where WaveGlow runs.</summary>
    public Device Device { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _appender.OutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _appender.RowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _appender.Transform(input);

    /// <summary>The mel settings of <paramref name="column"/>, checked against the vocoder; throws naming the column.</summary>
    private MelSettings Resolve(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(column), $"MelToAudio: column '{column.Name}' must hold a vector of float (a mel); it holds {column.Type}.");
        MelSettings settings;
        try
        {
            settings = AudioAnnotations.GetMelSettings(column) ?? FallbackMelSettings ?? MelSettings.Default;
            settings.Validate();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new ArgumentOutOfRangeException(nameof(column), $"MelToAudio: mel column '{column.Name}': {e.Message}");
        }
        if (Model is { } model)
        {
            if (settings.MelChannels != model.Config.NMelChannels)
                throw new ArgumentOutOfRangeException(nameof(column), $"MelToAudio: mel column '{column.Name}' has {settings.MelChannels} mel channels but the WaveGlow expects {model.Config.NMelChannels} (n_mel_channels).");
            if (settings.HopLength != model.Config.UpsampleStride)
                throw new ArgumentOutOfRangeException(nameof(column), $"MelToAudio: mel column '{column.Name}' has hop length {settings.HopLength} but the WaveGlow makes {model.Config.UpsampleStride} samples per frame.");
        }
        return settings;
    }

    private RowMapping<VBuffer<float>> NewMapping(DataViewSchema.Column column)
    {
        var settings = Resolve(column);
        float[] values = [];
        return (in VBuffer<float> mel, ref VBuffer<float> output) =>
        {
            int frames;
            try
            {
                frames = MelColumn.FrameCount(mel.Length, settings.MelChannels);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"MelToAudio: mel column '{column.Name}': {e.Message}", e);
            }
            if (frames == 0)
            {
                output = VBufferEditor.Create(ref output, 0).Commit();
                return;
            }
            CheckFinite(in mel, settings.MelChannels, column.Name);
            using var scope = NewDisposeScope();
            var logMel = Audio.MelSharpening.Apply(MelColumn.ToTensor(in mel, settings.MelChannels), MelSharpening);
            var audio = Vocoder == MelVocoder.WaveGlow ? WaveGlowAudio(logMel) : GriffinLimAudio(logMel, settings);
            using var samples = audio.to(ScalarType.Float32).cpu().contiguous();
            var data = samples.data<float>();
            if (values.Length != (int)data.Count) values = new float[data.Count];
            data.CopyTo(values);
            var editor = VBufferEditor.Create(ref output, values.Length);
            values.AsSpan().CopyTo(editor.Values);
            output = editor.Commit();
        };
    }

    /// <summary>A non-finite value (an upstream model diverged, a damaged file) is named by frame and channel, not turned into NaN audio.</summary>
    private static void CheckFinite(in VBuffer<float> mel, int melChannels, string columnName)
    {
        var values = mel.GetValues();
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            int index = mel.IsDense ? i : mel.GetIndices()[i];
            throw new InvalidDataException(
                $"MelToAudio: mel column '{columnName}' holds {values[i]} at frame {index / melChannels}, channel {index % melChannels}; a mel must be finite.");
        }
    }

    private Tensor WaveGlowAudio(Tensor logMel)
    {
        var model = Model!;
        using var generator = new TorchSharp.torch.Generator((ulong)Seed, Device);
        lock (model)
        {
            var audio = model.Infer(logMel.unsqueeze(0).to(Device), Sigma, generator);
            if (DenoiserStrength > 0) audio = _denoiser!.Value.Denoise(audio, DenoiserStrength).squeeze(1);
            return audio.squeeze(0);
        }
    }

    private Tensor GriffinLimAudio(Tensor logMel, MelSettings settings)
    {
        MelSpectrogram melSpectrogram;
        lock (_melSpectrograms)
        {
            if (!_melSpectrograms.TryGetValue(settings, out melSpectrogram!))
                _melSpectrograms[settings] = melSpectrogram = new MelSpectrogram(settings);
        }
        using var generator = new TorchSharp.torch.Generator((ulong)Seed);
        return GriffinLim.FromLogMel(logMel, melSpectrogram, GriffinLimIterations, generator);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.SaveNonEmptyString(OutputColumnName);
        ctx.SaveNonEmptyString(InputColumnName);
        var w = ctx.Writer;
        w.Write((int)Vocoder);
        w.Write(Sigma);
        w.Write(DenoiserStrength);
        w.Write(GriffinLimIterations);
        w.Write((int)Precision);
        w.Write(Seed);
        w.Write(MelSharpening);
        w.Write(FallbackMelSettings is not null);
        if (FallbackMelSettings is { } m)
        {
            w.Write(m.SampleRate); w.Write(m.FilterLength); w.Write(m.HopLength); w.Write(m.WinLength); w.Write(m.MelChannels); w.Write(m.FMin); w.Write(m.FMax);
        }
        if (Model is { } model)
        {
            ModelConfigRecord.Write(w, model.Config.ToCheckpointConfig());
            w.Write(model.Config.UpsampleKernelSize);
            w.Write(model.Config.UpsampleStride);
            ModuleWeightsStream.Save(ctx, WeightsStream, model);
        }
    }

    /// <summary>ML.NET's loader entry (found by name through the LoadableClass attribute).</summary>
    internal static MelToAudioTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var output = ctx.LoadNonEmptyString();
        var input = ctx.LoadNonEmptyString();
        var r = ctx.Reader;
        var vocoder = (MelVocoder)r.ReadInt32();
        if (!Enum.IsDefined(vocoder)) throw new InvalidDataException($"MelToAudio model: unknown vocoder {(int)vocoder}.");
        double sigma = r.ReadDouble();
        double strength = r.ReadDouble();
        int iterations = r.ReadInt32();
        var precision = (Precision)r.ReadInt32();
        int seed = r.ReadInt32();
        double sharpening = ctx.Header.ModelVerWritten >= WithMelSharpening ? r.ReadDouble() : 0; // older zips predate it
        MelSettings? mel = null;
        if (r.ReadBoolean())
            mel = new MelSettings
            {
                SampleRate = r.ReadInt32(), FilterLength = r.ReadInt32(), HopLength = r.ReadInt32(), WinLength = r.ReadInt32(),
                MelChannels = r.ReadInt32(), FMin = r.ReadDouble(), FMax = r.ReadDouble(),
            };
        WaveGlowModel? model = null;
        if (vocoder == MelVocoder.WaveGlow)
        {
            var config = WaveGlowConfig.FromCheckpointConfig(ModelConfigRecord.Read(r)) with { UpsampleKernelSize = r.ReadInt32(), UpsampleStride = r.ReadInt32() };
            ModelSizeGuard.Check(ctx, WeightsStream, ModelSizeGuard.WaveGlowParameters(config.Validate()), "WaveGlow");
            model = new WaveGlowModel(config, weightNorm: false);
            try
            {
                ModuleWeightsStream.Load(ctx, WeightsStream, model);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        return new MelToAudioTransformer(env, output, input, vocoder, model, sigma, strength, iterations, sharpening, precision, mel, seed);
    }

    // 0x00010002: MelSharpening after the seed.
    private const uint WithMelSharpening = 0x00010002;

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "TTSMELAU",
        verWrittenCur: WithMelSharpening,
        verReadableCur: WithMelSharpening, // an older reader would not know the extra field
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(MelToAudioTransformer).Assembly.FullName);
}
