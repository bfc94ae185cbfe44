using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Audio;

/// <summary>Estimator of <see cref="AudioLoadingTransformer"/>: nothing to learn, Fit only checks the schema.</summary>
public sealed class AudioLoadingEstimator : IEstimator<AudioLoadingTransformer>
{
    private readonly AudioLoadingOptions _options;

    internal AudioLoadingEstimator(AudioLoadingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = new AudioLoadingOptions // a copy: later edits of the caller's object do not leak in
        {
            OutputColumnName = options.OutputColumnName, InputColumnName = options.InputColumnName,
            SampleRate = options.SampleRate, AudioFolder = options.AudioFolder,
        };
        _ = new AudioLoadingTransformer(_options); // validate now, not at Fit
    }

    /// <inheritdoc />
    public AudioLoadingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new AudioLoadingTransformer(_options);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!inputSchema.TryFindColumn(_options.InputColumnName, out var input))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_options.InputColumnName}' not found.");
        if (input.Kind != SchemaShape.Column.VectorKind.Scalar || input.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column '{input.Name}' must hold text (WAV file paths).");
        columns[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.Single, false, AudioAnnotations.WaveformShape());
        return new SchemaShape(columns.Values);
    }
}
