using MlNetTts.Audio;
using MlNetTts.Data;

namespace MlNetTts.Training;

/// <summary>
/// WaveGlow training settings. Defaults are NVIDIA's WaveGlow training script (20.06): 1001 epochs, batch 10,
/// segments of 8000 samples, Adam lr 1e-4, no weight decay, no gradient clipping (the script passes float32's
/// maximum), sigma 1.0, checkpoint every 50 epochs; mels as <c>train.py</c>'s audio defaults.
/// </summary>
public sealed record WaveGlowTrainingOptions : TrainingOptions
{
    public WaveGlowTrainingOptions()
    {
        Epochs = 1001;
        BatchSize = 10;
        LearningRate = 1e-4;
        WeightDecay = 0;
        GradientClipThreshold = null;
    }

    /// <summary>Audio samples drawn per item per epoch (<c>--segment-length</c>).</summary>
    public int SegmentLength { get; init; } = AudioSegmentSampler.DefaultSegmentLength;

    /// <summary>Standard deviation of the latent prior in the loss (<c>--sigma</c>).</summary>
    public double Sigma { get; init; } = 1.0;

    /// <summary>The mel front end for the segments' conditioning mels (must give the model's mel channels).</summary>
    public MelSettings Mel { get; init; } = MelSettings.Default;

    public override void Validate()
    {
        base.Validate();
        if (SegmentLength <= 0)
            throw new ArgumentException($"Training option {nameof(SegmentLength)} = {SegmentLength}: must be positive.", nameof(SegmentLength));
        if (!(Sigma > 0) || double.IsInfinity(Sigma))
            throw new ArgumentException($"Training option {nameof(Sigma)} = {Sigma}: must be positive.", nameof(Sigma));
        ArgumentNullException.ThrowIfNull(Mel, nameof(Mel));
        Mel.Validate();
    }
}
