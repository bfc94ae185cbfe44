using MlNetTts.Audio;
using MlNetTts.Nn;
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

    /// <summary>WaveGlow: Float32 (default) or Mixed.</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>Mel settings for a mel column without annotations (default: the reference's); a column's annotations win.</summary>
    public MelSettings? MelSettings { get; set; }
}
