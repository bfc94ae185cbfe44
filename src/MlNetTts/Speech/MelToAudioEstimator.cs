using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Training;
using TorchSharp;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Speech;

/// <summary>
/// Estimator of <see cref="MelToAudioTransformer"/>. WaveGlow with a pretrained model (<see cref="MelToAudioOptions.Model"/>
/// or <see cref="MelToAudioOptions.CheckpointPath"/>) or Griffin-Lim: Fit only checks the schema and loads the
/// checkpoint. With <see cref="MelToAudioOptions.Training"/> Fit trains WaveGlow on the input's audio column with
/// <see cref="WaveGlowTrainer"/> (from the given model or checkpoint, or a new model of <see cref="MelToAudioOptions.Config"/>)
/// and returns the transformer over the trained model.
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
        if (_options.Training is not null && _options.Vocoder == MelVocoder.WaveGlow) return FitByTraining(input);
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
                    throw new InvalidOperationException("MelToAudio with WaveGlow needs a model: set MelToAudioOptions.CheckpointPath (an NVIDIA checkpoint) or MelToAudioOptions.Model, MelToAudioOptions.Training to train one on the input's audio, or choose MelVocoder.GriffinLim.");
                model = WaveGlowModel.FromCheckpoint(_options.CheckpointPath, weightNorm: false);
                owned = true;
            }
        }
        try
        {
            var transformer = new MelToAudioTransformer(_env, _options.OutputColumnName, _options.InputColumnName, _options.Vocoder, model,
                _options.Sigma, _options.DenoiserStrength, _options.GriffinLimIterations, _options.MelSharpening, _options.Precision, _options.MelSettings, SpeechEnvironment.Seed(_env));
            transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            if (owned) model!.Dispose();
            throw;
        }
    }

    /// <summary>Trains a WaveGlow on the input's audio column; the input needs no mel column (the transformer maps mels of other data).</summary>
    private MelToAudioTransformer FitByTraining(IDataView input)
    {
        var options = _options.Training! with { Seed = SpeechTraining.Seed(_env, _options.Training!.Seed) };
        options.Validate();
        var train = SpeechTraining.ReadAudio(input, _options.TrainingAudioColumnName, options.Mel.SampleRate, "training data");
        var validation = _options.ValidationData is null ? null
            : SpeechTraining.ReadAudio(_options.ValidationData, _options.TrainingAudioColumnName, options.Mel.SampleRate, "validation data");
        var model = _options.Model;
        bool owned = model is null;
        if (model is null)
        {
            if (!string.IsNullOrWhiteSpace(_options.CheckpointPath)) model = WaveGlowTrainer.LoadModel(_options.CheckpointPath);
            else
            {
                manual_seed(options.Seed); // a new model's initial weights follow the seed
                model = new WaveGlowModel(_options.Config ?? new WaveGlowConfig(), weightNorm: true);
            }
        }
        try
        {
            model.to(SpeechEnvironment.Device(_env));
            using (var session = new TrainingChannels(_env, "MelToAudio training", options.Epochs, _options.TrainingProgress, _options.TrainingCancellation))
            {
                session.Log.Info("{0}", $"Training WaveGlow on {train.Count} utterances ({train.TotalSamples} samples), {options.Epochs} epochs of batch {options.BatchSize} x {options.SegmentLength} samples, {options.Precision}, seed {options.Seed}.");
                using var trainer = new WaveGlowTrainer(model, options);
                var result = trainer.Fit(train, validation, session.Progress, session.Cancellation);
                SpeechTraining.ThrowIfCancelled(result, "WaveGlow");
            }
            return new MelToAudioTransformer(_env, _options.OutputColumnName, _options.InputColumnName, MelVocoder.WaveGlow, model,
                _options.Sigma, _options.DenoiserStrength, _options.GriffinLimIterations, _options.MelSharpening, _options.Precision, _options.MelSettings ?? options.Mel, SpeechEnvironment.Seed(_env));
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
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"MelToAudio: input column '{_options.InputColumnName}' not found.");
        if (input.Kind == SchemaShape.Column.VectorKind.Scalar || input.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"MelToAudio: column '{input.Name}' must hold a vector of float (a mel).");
        columns[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.Single, false, AudioAnnotations.WaveformShape());
        return new SchemaShape(columns.Values);
    }
}
