using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Audio;

/// <summary>Estimator of <see cref="MelExtractingTransformer"/>: nothing to learn, Fit only checks the schema.</summary>
public sealed class MelExtractingEstimator : IEstimator<MelExtractingTransformer>
{
    private readonly string _output;
    private readonly string _input;
    private readonly MelSettings _settings;

    internal MelExtractingEstimator(MelExtractingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _output = options.OutputColumnName;
        _input = options.InputColumnName;
        _settings = options.Settings ?? MelSettings.Default;
        _ = new MelExtractingTransformer(_output, _input, _settings); // validate now, not at Fit
    }

    /// <inheritdoc />
    public MelExtractingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new MelExtractingTransformer(_output, _input, _settings);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!inputSchema.TryFindColumn(_input, out var input))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_input}' not found.");
        if (input.Kind == SchemaShape.Column.VectorKind.Scalar || input.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column '{input.Name}' must hold a vector of float (a waveform).");
        columns[_output] = new SchemaShape.Column(_output, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.Single, false, AudioAnnotations.MelShape());
        return new SchemaShape(columns.Values);
    }
}
