using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.WaveGlow;

namespace MlNetTts.Speech;

/// <summary>
/// Estimator of <see cref="MelToAudioTransformer"/>. WaveGlow with a pretrained model (<see cref="MelToAudioOptions.Model"/>
/// or <see cref="MelToAudioOptions.CheckpointPath"/>) or Griffin-Lim: Fit only checks the schema and loads the
/// checkpoint; WaveGlow without a model throws at Fit, until training arrives.
/// </summary>
public sealed class MelToAudioEstimator : IEstimator<MelToAudioTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly MelToAudioOptions _options;

    internal MelToAudioEstimator(IHostEnvironment env, MelToAudioOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        _env = env;
        _options = options;
    }

    /// <inheritdoc />
    public MelToAudioTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _ = input.Schema.GetColumnOrNull(_options.InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"MelToAudio: input column '{_options.InputColumnName}' not found (columns: {string.Join(", ", input.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        WaveGlowModel? model = null;
        bool owned = false;
        if (_options.Vocoder == MelVocoder.WaveGlow)
        {
            model = _options.Model;
            if (model is null)
            {
                if (string.IsNullOrWhiteSpace(_options.CheckpointPath))
                    throw new InvalidOperationException("MelToAudio with WaveGlow needs a pretrained model: set MelToAudioOptions.CheckpointPath (an NVIDIA checkpoint) or MelToAudioOptions.Model, or choose MelVocoder.GriffinLim. Training a WaveGlow with Fit is not available yet.");
                model = WaveGlowModel.FromCheckpoint(_options.CheckpointPath, weightNorm: false);
                owned = true;
            }
        }
        try
        {
            var transformer = new MelToAudioTransformer(_env, _options.OutputColumnName, _options.InputColumnName, _options.Vocoder, model,
                _options.Sigma, _options.DenoiserStrength, _options.GriffinLimIterations, _options.Precision, _options.MelSettings, SpeechEnvironment.Seed(_env));
            transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            if (owned) model!.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!inputSchema.TryFindColumn(_options.InputColumnName, out var input))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"MelToAudio: input column '{_options.InputColumnName}' not found.");
        if (input.Kind == SchemaShape.Column.VectorKind.Scalar || input.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"MelToAudio: column '{input.Name}' must hold a vector of float (a mel).");
        columns[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.Single, false, AudioAnnotations.WaveformShape());
        return new SchemaShape(columns.Values);
    }
}
