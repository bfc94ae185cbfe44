using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetTts.Audio;
using MlNetTts.Data;
using MlNetTts.Tacotron2;
using MlNetTts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Speech;

/// <summary>
/// Estimator of <see cref="TextToMelTransformer"/>. With a pretrained model (<see cref="TextToMelOptions.Model"/> or
/// <see cref="TextToMelOptions.CheckpointPath"/>) Fit only checks the schema and loads the checkpoint. With
/// <see cref="TextToMelOptions.Training"/> Fit trains Tacotron 2 on the input (text and target mel columns, or text and
/// audio columns whose mels are extracted once) with
/// <see cref="Tacotron2Trainer"/>, starting from the given model or checkpoint (warm start) or a new model of
/// <see cref="TextToMelOptions.Config"/>, and returns the transformer over the trained model.
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
        if (!TextSynthesisOptions.IsValidCandidates(options.Candidates))
            throw new ArgumentOutOfRangeException(nameof(options), options.Candidates, $"TextToMelOptions.Candidates must be between 1 and {TextSynthesisOptions.MaxCandidates}.");
    }

    /// <inheritdoc />
    public TextToMelTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        TextToMelOutputs.FindInput(input.Schema, _options.InputColumnName); // schema errors before any loading
        var model = _options.Model;
        bool owned = false;
        MelSettings? trainedMel = null;
        if (model is null)
        {
            if (!string.IsNullOrWhiteSpace(_options.CheckpointPath))
                model = Tacotron2Trainer.LoadModel(_options.CheckpointPath); // NVIDIA's checkpoints and ours
            else if (_options.Training is not null)
            {
                manual_seed(SpeechTraining.Seed(_env, _options.Training.Seed)); // a new model's initial weights follow the seed
                model = new Tacotron2Model(_options.Config ?? new Tacotron2Config());
            }
            else
                throw new InvalidOperationException("TextToMel needs a Tacotron 2: set TextToMelOptions.CheckpointPath (an NVIDIA checkpoint) or TextToMelOptions.Model, or TextToMelOptions.Training to train one on the input.");
            owned = true;
        }
        try
        {
            if (_options.Training is not null) trainedMel = Train(model, input);
            var transformer = new TextToMelTransformer(_env, Settings(model.Config.MelChannels, trainedMel), model);
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

    /// <summary>Trains <paramref name="model"/> in place; returns the target mel column's settings (its annotations), if any.</summary>
    private MelSettings? Train(Tacotron2Model model, IDataView input)
    {
        var options = _options.Training! with { Seed = SpeechTraining.Seed(_env, _options.Training!.Seed) };
        int channels = model.Config.MelChannels;
        // From an audio column: mels extracted once, with the options' settings (the reference's with the model's channels by default).
        var fromAudio = _options.TrainingAudioColumnName is null ? null : _options.MelSettings ?? MelSettings.Default with { MelChannels = channels };
        if (fromAudio is not null && fromAudio.MelChannels != channels)
            throw new ArgumentException($"TextToMel training: TextToMelOptions.MelSettings makes {fromAudio.MelChannels}-channel mels; the model makes {channels}.", nameof(input));
        TextMelDataset Read(IDataView data, string what) => fromAudio is null
            ? SpeechTraining.ReadTextMel(data, _options.InputColumnName, _options.TargetMelColumnName, channels, what, _options.Pronunciations)
            : SpeechTraining.ReadTextAudio(data, _options.InputColumnName, _options.TrainingAudioColumnName!, fromAudio, what, _options.Pronunciations);
        var train = Read(input, "training data");
        var validation = _options.ValidationData is null ? null : Read(_options.ValidationData, "validation data");
        model.to(SpeechEnvironment.Device(_env));
        using var session = new TrainingChannels(_env, "TextToMel training", options.Epochs, _options.TrainingProgress, _options.TrainingCancellation);
        session.Log.Info("{0}", $"Training Tacotron 2 on {train.Count} utterances ({train.TotalFrames} mel frames), {options.Epochs} epochs of batch {options.BatchSize}, {options.Precision}, seed {options.Seed}.");
        using var trainer = new Tacotron2Trainer(model, options);
        var result = trainer.Fit(train, validation, session.Progress, session.Cancellation);
        SpeechTraining.ThrowIfCancelled(result, "Tacotron 2");
        return fromAudio ?? AudioAnnotations.GetMelSettings(input.Schema[_options.TargetMelColumnName]);
    }

    private TextToMelSettings Settings(int melChannels, MelSettings? trainedMel)
    {
        var mel = _options.MelSettings ?? trainedMel ?? MelSettings.Default with { MelChannels = melChannels };
        return new TextToMelSettings
        {
            InputColumnName = _options.InputColumnName,
            OutputColumnName = _options.OutputColumnName,
            AlignmentColumnName = _options.AlignmentColumnName,
            MelLengthColumnName = _options.MelLengthColumnName,
            HitMaxDecoderStepsColumnName = _options.HitMaxDecoderStepsColumnName,
            BatchSize = _options.BatchSize,
            MaxDecoderSteps = _options.MaxDecoderSteps,
            Cancellation = _options.InferenceCancellation,
            GateThreshold = _options.GateThreshold,
            PrenetDropout = _options.PrenetDropout,
            Candidates = _options.Candidates,
            Pronunciations = _options.Pronunciations,
            Precision = _options.Precision,
            SentenceMaxLength = _options.SentenceMaxLength,
            SentencePauseFrames = (int)Math.Round(_options.SentencePause.TotalSeconds * mel.SampleRate / mel.HopLength),
            MelSettings = mel,
            Seed = SpeechEnvironment.Seed(_env),
        };
    }
}
