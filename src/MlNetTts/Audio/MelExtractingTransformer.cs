using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Columns;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(MelExtractingTransformer), null, typeof(SignatureLoadModel),
    "MlNetTts Mel Extracting Transformer", MelExtractingTransformer.LoaderSignature)]

namespace MlNetTts.Audio;

/// <summary>
/// MelExtractor: waveform column -> log-mel column, exactly NVIDIA's TacotronSTFT.mel_spectrogram
/// (<see cref="MelSpectrogram"/>). Output layout: <see cref="MelColumn"/> (frames-major, MelChannels values per frame,
/// frames = samples / hop + 1), with the settings as annotations (<see cref="AudioAnnotations"/>).
/// </summary>
/// <remarks>
/// A waveform column that carries a SampleRate annotation must match <see cref="MelSettings.SampleRate"/>;
/// a mismatch is an error at schema time rather than silently wrong mels. Each row is one batched STFT.
/// </remarks>
public sealed class MelExtractingTransformer : ITransformer, ICanSaveModel
{
    internal const string LoaderSignature = "MlNetTtsMelExtract";
    private readonly ColumnAppender<VBuffer<float>> _appender;
    private readonly Lazy<MelSpectrogram> _mel;

    internal MelExtractingTransformer(string outputColumnName, string inputColumnName, MelSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        Settings = settings;
        _mel = new Lazy<MelSpectrogram>(() => new MelSpectrogram(Settings), LazyThreadSafetyMode.ExecutionAndPublication);
        _appender = new ColumnAppender<VBuffer<float>>(OutputColumnName, InputColumnName, new VectorDataViewType(NumberDataViewType.Single),
            CheckInput, _ => AudioAnnotations.ForMel(Settings), NewMapping);
    }

    /// <summary>Name of the mel column.</summary>
    public string OutputColumnName { get; }

    /// <summary>Name of the waveform column.</summary>
    public string InputColumnName { get; }

    /// <summary>The STFT and mel parameters.</summary>
    public MelSettings Settings { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _appender.OutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _appender.RowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _appender.Transform(input);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // Format 0x00010001: output name, input name, int32 rate/filter/hop/win/mels, double fmin/fmax.
        ctx.SaveNonEmptyString(OutputColumnName);
        ctx.SaveNonEmptyString(InputColumnName);
        ctx.Writer.Write(Settings.SampleRate);
        ctx.Writer.Write(Settings.FilterLength);
        ctx.Writer.Write(Settings.HopLength);
        ctx.Writer.Write(Settings.WinLength);
        ctx.Writer.Write(Settings.MelChannels);
        ctx.Writer.Write(Settings.FMin);
        ctx.Writer.Write(Settings.FMax);
    }

    /// <summary>ML.NET's loader entry (found by name through the LoadableClass attribute).</summary>
    internal static MelExtractingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var output = ctx.LoadNonEmptyString();
        var input = ctx.LoadNonEmptyString();
        var settings = new MelSettings
        {
            SampleRate = ctx.Reader.ReadInt32(), FilterLength = ctx.Reader.ReadInt32(), HopLength = ctx.Reader.ReadInt32(),
            WinLength = ctx.Reader.ReadInt32(), MelChannels = ctx.Reader.ReadInt32(), FMin = ctx.Reader.ReadDouble(), FMax = ctx.Reader.ReadDouble(),
        };
        return new MelExtractingTransformer(output, input, settings);
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "TTSMELEX",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(MelExtractingTransformer).Assembly.FullName);

    private void CheckInput(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' must hold a vector of float (a waveform); it holds {column.Type}.");
        if (AudioAnnotations.GetSampleRate(column) is { } rate && rate != Settings.SampleRate)
            throw new ArgumentOutOfRangeException(nameof(column), $"Waveform column '{column.Name}' is at {rate} Hz; the mel settings expect {Settings.SampleRate} Hz (load the audio at that rate).");
    }

    private RowMapping<VBuffer<float>> NewMapping()
    {
        var mel = _mel.Value;
        float[] samples = [];
        return (in VBuffer<float> waveform, ref VBuffer<float> output) =>
        {
            int length = waveform.Length;
            if (length <= Settings.FilterLength / 2)
                throw new InvalidDataException($"Waveform column '{InputColumnName}': a row of {length} samples is too short for the STFT (more than {Settings.FilterLength / 2} needed).");
            if (samples.Length != length) samples = new float[length];
            waveform.CopyTo(samples);
            using var scope = NewDisposeScope();
            Tensor logMel;
            try
            {
                logMel = mel.Compute(tensor(samples, new long[] { 1, length }));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Waveform column '{InputColumnName}': {e.Message}", e);
            }
            MelColumn.FromTensor(logMel.squeeze(0), ref output);
        };
    }
}
