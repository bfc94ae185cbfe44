using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Tacotron2;

namespace MlNetTts.Speech;

/// <summary>
/// Estimator of <see cref="TextToMelTransformer"/>. With a pretrained model (<see cref="TextToMelOptions.Model"/> or
/// <see cref="TextToMelOptions.CheckpointPath"/>) Fit only checks the schema and loads the checkpoint; without one Fit
/// throws, until training arrives.
/// </summary>
public sealed class TextToMelEstimator : IEstimator<TextToMelTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly TextToMelOptions _options;

    internal TextToMelEstimator(IHostEnvironment env, TextToMelOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        _env = env;
        _options = options;
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "TextToMelOptions.BatchSize must be at least 1.");
    }

    /// <inheritdoc />
    public TextToMelTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        TextToMelOutputs.FindInput(input.Schema, _options.InputColumnName); // schema errors before any loading
        var model = _options.Model;
        bool owned = false;
        if (model is null)
        {
            if (string.IsNullOrWhiteSpace(_options.CheckpointPath))
                throw new InvalidOperationException("TextToMel needs a pretrained Tacotron 2: set TextToMelOptions.CheckpointPath (an NVIDIA checkpoint) or TextToMelOptions.Model. Training a model with Fit is not available yet.");
            model = Tacotron2Model.FromCheckpoint(_options.CheckpointPath);
            owned = true;
        }
        try
        {
            var transformer = new TextToMelTransformer(_env, Settings(model.Config.MelChannels), model);
            transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            if (owned) model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!inputSchema.TryFindColumn(_options.InputColumnName, out var input))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"TextToMel: input column '{_options.InputColumnName}' not found.");
        if (input.Kind != SchemaShape.Column.VectorKind.Scalar || input.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"TextToMel: column '{input.Name}' must hold text (string).");
        columns[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.Single, false, AudioAnnotations.MelShape());
        if (_options.AlignmentColumnName is { } alignment)
            columns[alignment] = new SchemaShape.Column(alignment, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single, false,
                new SchemaShape(new[] { new SchemaShape.Column(SpeechAnnotations.FramesColumn, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false) }));
        if (_options.MelLengthColumnName is { } length)
            columns[length] = new SchemaShape.Column(length, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false);
        if (_options.HitMaxDecoderStepsColumnName is { } hit)
            columns[hit] = new SchemaShape.Column(hit, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false);
        return new SchemaShape(columns.Values);
    }

    private TextToMelSettings Settings(int melChannels)
    {
        var mel = _options.MelSettings ?? MelSettings.Default with { MelChannels = melChannels };
        return new TextToMelSettings
        {
            InputColumnName = _options.InputColumnName,
            OutputColumnName = _options.OutputColumnName,
            AlignmentColumnName = _options.AlignmentColumnName,
            MelLengthColumnName = _options.MelLengthColumnName,
            HitMaxDecoderStepsColumnName = _options.HitMaxDecoderStepsColumnName,
            BatchSize = _options.BatchSize,
            MaxDecoderSteps = _options.MaxDecoderSteps,
            GateThreshold = _options.GateThreshold,
            PrenetDropout = _options.PrenetDropout,
            Precision = _options.Precision,
            SentenceMaxLength = _options.SentenceMaxLength,
            SentencePauseFrames = (int)Math.Round(_options.SentencePause.TotalSeconds * mel.SampleRate / mel.HopLength),
            MelSettings = mel,
            Seed = SpeechEnvironment.Seed(_env),
        };
    }
}
