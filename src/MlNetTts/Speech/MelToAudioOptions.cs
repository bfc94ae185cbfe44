using Microsoft.ML;
using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Training;
using MlNetTts.WaveGlow;

namespace MlNetTts.Speech;

/// <summary>Options of <see cref="MelToAudioEstimator"/> (<c>mlContext.Transforms.MelToAudio</c>).</summary>
public sealed class MelToAudioOptions
{
    /// <summary>Default name of the mel column.</summary>
    public const string DefaultInputColumnName = "Mel";

    /// <summary>Default name of the waveform column.</summary>
    public const string DefaultOutputColumnName = "Audio";

    /// <summary>Default <see cref="Sigma"/>: NVIDIA's inference script.</summary>
    public const double DefaultSigma = 0.6;

    /// <summary>Mel column (<see cref="MelColumn"/>'s layout; its <see cref="AudioAnnotations"/> give the mel settings).</summary>
    public string InputColumnName { get; set; } = DefaultInputColumnName;

    /// <summary>Waveform column to add (float samples, with a SampleRate annotation, as LoadAudio's).</summary>
    public string OutputColumnName { get; set; } = DefaultOutputColumnName;

    /// <summary>WaveGlow (default; needs <see cref="CheckpointPath"/> or <see cref="Model"/>) or Griffin-Lim.</summary>
    public MelVocoder Vocoder { get; set; } = MelVocoder.WaveGlow;

    /// <summary>Path of a WaveGlow checkpoint (NVIDIA's format); read at Fit.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>A built WaveGlow (takes precedence over <see cref="CheckpointPath"/>); weight norm is folded away for inference.</summary>
    public WaveGlowModel? Model { get; set; }

    /// <summary>WaveGlow: scale of the noise the flows start from (default 0.6, as NVIDIA's inference script).</summary>
    public double Sigma { get; set; } = DefaultSigma;

    /// <summary>WaveGlow: strength of NVIDIA's denoiser (default 0.01, as the inference script); 0 turns it off.</summary>
    public double DenoiserStrength { get; set; } = Denoiser.DefaultStrength;

    /// <summary>Griffin-Lim iterations (default 30, as the reference).</summary>
    public int GriffinLimIterations { get; set; } = GriffinLim.DefaultIterations;

    /// <summary>
    /// <see cref="Audio.MelSharpening"/> amount applied to each mel before either vocoder (default 0: none, as the
    /// reference); a voice folder records the amount its figures were measured with (<c>VoiceManifest.MelSharpening</c>).
    /// </summary>
    public double MelSharpening { get; set; }

    /// <summary>WaveGlow: Float32 (default) or Mixed.</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>Default <see cref="TrainingAudioColumnName"/>: LoadAudio's output column.</summary>
    public const string DefaultTrainingAudioColumnName = "Audio";

    /// <summary>
    /// Training settings (epochs, batch, segment length, mel front end, precision, checkpoint folder, ...); null (the
    /// default): Fit does not train. With it set and <see cref="Vocoder"/> WaveGlow, Fit trains a WaveGlow of <see cref="Config"/>
    /// (or warm-started from <see cref="Model"/> / <see cref="CheckpointPath"/>) on the input's <see cref="TrainingAudioColumnName"/>
    /// (see <see cref="WaveGlowTrainer"/>); the input then needs no mel column. The MLContext's seed, when it has one, replaces
    /// <see cref="TrainingOptions.Seed"/>.
    /// </summary>
    public WaveGlowTrainingOptions? Training { get; set; }

    /// <summary>Training: the architecture of a new WaveGlow when neither <see cref="Model"/> nor <see cref="CheckpointPath"/> is set (null: the reference's).</summary>
    public WaveGlowConfig? Config { get; set; }

    /// <summary>Training: the waveform column (float samples in [-1, 1], as LoadAudio writes it; its SampleRate annotation must match the training mel settings).</summary>
    public string TrainingAudioColumnName { get; set; } = DefaultTrainingAudioColumnName;

    /// <summary>Training: optional validation data (same audio column); its loss is computed every epoch.</summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>Training: receives every step, epoch end and checkpoint (also logged to the MLContext's log channel and reported on its progress channel).</summary>
    public IProgress<TrainingProgress>? TrainingProgress { get; set; }

    /// <summary>Training: stops between steps, as <c>MLContext.CancelExecution()</c> does (Fit then throws <see cref="OperationCanceledException"/>).</summary>
    public CancellationToken TrainingCancellation { get; set; }

    /// <summary>Mel settings for a mel column without annotations (default: the reference's); a column's annotations win.</summary>
    public MelSettings? MelSettings { get; set; }
}
