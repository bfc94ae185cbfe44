using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Columns;

[assembly: LoadableClass(typeof(AudioLoadingTransformer), null, typeof(SignatureLoadModel),
    "MlNetTts Audio Loading Transformer", AudioLoadingTransformer.LoaderSignature)]

namespace MlNetTts.Audio;

/// <summary>
/// Reads the WAV file named by each row's path column into a waveform column: mono float samples
/// (<c>VBuffer&lt;float&gt;</c>, variable length) resampled to <see cref="SampleRate"/>, which the column carries
/// as its <see cref="AudioAnnotations.SampleRate"/> annotation. Files are read lazily, row by row, as a cursor
/// reaches them; a bad file fails with <see cref="WaveFile"/>'s message naming it.
/// </summary>
public sealed class AudioLoadingTransformer : ITransformer, ICanSaveModel
{
    internal const string LoaderSignature = "MlNetTtsAudioLoad";
    private readonly ColumnAppender<ReadOnlyMemory<char>> _appender;

    internal AudioLoadingTransformer(AudioLoadingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName);
        if (options.SampleRate < WaveFile.MinSampleRate || options.SampleRate > WaveFile.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(options), options.SampleRate, $"SampleRate must be in [{WaveFile.MinSampleRate}, {WaveFile.MaxSampleRate}] Hz.");
        OutputColumnName = options.OutputColumnName;
        InputColumnName = options.InputColumnName;
        SampleRate = options.SampleRate;
        AudioFolder = options.AudioFolder;
        _appender = new ColumnAppender<ReadOnlyMemory<char>>(OutputColumnName, InputColumnName, new VectorDataViewType(NumberDataViewType.Single),
            CheckInput, _ => AudioAnnotations.ForWaveform(SampleRate), NewMapping);
    }

    /// <summary>Name of the waveform column.</summary>
    public string OutputColumnName { get; }

    /// <summary>Name of the path column.</summary>
    public string InputColumnName { get; }

    /// <summary>Sample rate of the waveforms (Hz).</summary>
    public int SampleRate { get; }

    /// <summary>Folder relative paths are resolved against (null: current directory).</summary>
    public string? AudioFolder { get; }

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
        // Format 0x00010001: output name, input name, int32 sample rate, bool has-folder, folder.
        ctx.SaveNonEmptyString(OutputColumnName);
        ctx.SaveNonEmptyString(InputColumnName);
        ctx.Writer.Write(SampleRate);
        ctx.Writer.Write(AudioFolder is not null);
        if (AudioFolder is not null) ctx.Writer.Write(AudioFolder);
    }

    /// <summary>ML.NET's loader entry (found by name through the LoadableClass attribute).</summary>
    internal static AudioLoadingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var options = new AudioLoadingOptions
        {
            OutputColumnName = ctx.LoadNonEmptyString(),
            InputColumnName = ctx.LoadNonEmptyString(),
            SampleRate = ctx.Reader.ReadInt32(),
        };
        if (ctx.Reader.ReadBoolean()) options.AudioFolder = ctx.Reader.ReadString();
        return new AudioLoadingTransformer(options);
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "TTSAULOD",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(AudioLoadingTransformer).Assembly.FullName);

    private void CheckInput(DataViewSchema.Column column)
    {
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' must hold text (WAV file paths); it holds {column.Type}.");
    }

    private RowMapping<ReadOnlyMemory<char>> NewMapping() => (in ReadOnlyMemory<char> path, ref VBuffer<float> output) =>
    {
        var text = path.ToString();
        if (string.IsNullOrWhiteSpace(text))
            throw new InvalidDataException($"Column '{InputColumnName}' has an empty WAV path.");
        var full = AudioFolder is null ? text : Path.Combine(AudioFolder, text);
        var wave = WaveFile.Read(full, SampleRate);
        var editor = VBufferEditor.Create(ref output, wave.Samples.Length);
        wave.Samples.CopyTo(editor.Values);
        output = editor.Commit();
    };
}
