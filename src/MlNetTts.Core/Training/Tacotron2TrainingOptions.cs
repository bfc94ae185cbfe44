namespace MlNetTts.Training;

/// <summary>
/// Tacotron 2 training settings. Defaults are NVIDIA's Tacotron 2 training script (20.06,
/// <c>platform/train_tacotron2_*</c>): 1501 epochs, batch 48, Adam lr 1e-3, weight decay 1e-6, gradient clipping
/// at norm 1.0, annealing x0.1 at epochs 500, 1000, 1500, checkpoint every 50 epochs. The guided-attention term is
/// ours and off by default.
/// </summary>
public sealed record Tacotron2TrainingOptions : TrainingOptions
{
    public Tacotron2TrainingOptions()
    {
        Epochs = 1501;
        BatchSize = 48;
        LearningRate = 1e-3;
        WeightDecay = 1e-6;
        GradientClipThreshold = 1.0;
        AnnealSteps = [500, 1000, 1500];
        AnnealFactor = 0.1;
    }

    /// <summary>
    /// Weight of the guided-attention loss (Tachibana et al. 2017, see <see cref="GuidedAttentionLoss"/>); 0 (the
    /// default) trains exactly the reference loss. A few units pull a small model's attention onto the diagonal
    /// within hundreds of steps instead of thousands.
    /// </summary>
    public double GuidedAttentionWeight { get; init; }

    /// <summary>Width g of the guided-attention penalty's diagonal band (the paper's 0.2).</summary>
    public double GuidedAttentionSigma { get; init; } = 0.2;

    /// <summary>
    /// Weight of the stop targets in the gate loss (see <see cref="Tacotron2.Tacotron2Loss.Compute"/>); 1 (the default) is
    /// the reference. Larger values teach the gate to stop sooner in training.
    /// </summary>
    public double GatePositiveWeight { get; init; } = 1.0;

    /// <summary>
    /// Fraction of decoder steps (drawn per item and step) whose input is the model's own prediction instead of the
    /// recorded frames: scheduled sampling (Bengio et al. 2015) at a fixed rate, with the predictions taken from a
    /// first teacher-forced pass without gradients, so each step's input is what the decoder made of the recorded
    /// frames one step earlier. At inference the decoder is fed its own output; a model that has only seen recorded
    /// frames meets a different input there. 0 (the default) is the reference's pure teacher forcing; above 0 every
    /// step pays for the extra forward pass.
    /// </summary>
    public double ScheduledSampling { get; init; }

    /// <summary>
    /// How the training loss scores mels (<see cref="Tacotron2.MelLoss"/>); <see cref="Tacotron2.MelLoss.Mse"/> (the
    /// default) is the reference. Validation always reports the reference's loss, so it stays comparable across runs.
    /// </summary>
    public Tacotron2.MelLoss MelLoss { get; init; } = Tacotron2.MelLoss.Mse;

    /// <summary>Half-width, as a fraction of the text length, of the band the reported diagonality score counts (see <see cref="AttentionDiagonality"/>).</summary>
    public double DiagonalityBand { get; init; } = 0.1;

    public override void Validate()
    {
        base.Validate();
        if (!(GuidedAttentionWeight >= 0) || double.IsInfinity(GuidedAttentionWeight))
            throw new ArgumentException($"Training option {nameof(GuidedAttentionWeight)} = {GuidedAttentionWeight}: must be >= 0 and finite.", nameof(GuidedAttentionWeight));
        if (!(GatePositiveWeight > 0) || double.IsInfinity(GatePositiveWeight))
            throw new ArgumentException($"Training option {nameof(GatePositiveWeight)} = {GatePositiveWeight}: must be positive and finite.", nameof(GatePositiveWeight));
        if (!(GuidedAttentionSigma > 0) || double.IsInfinity(GuidedAttentionSigma))
            throw new ArgumentException($"Training option {nameof(GuidedAttentionSigma)} = {GuidedAttentionSigma}: must be positive.", nameof(GuidedAttentionSigma));
        if (!(ScheduledSampling >= 0 && ScheduledSampling <= 1))
            throw new ArgumentException($"Training option {nameof(ScheduledSampling)} = {ScheduledSampling}: must be in [0, 1] (0 = teacher forcing, as the reference).", nameof(ScheduledSampling));
        if (!Enum.IsDefined(MelLoss))
            throw new ArgumentException($"Training option {nameof(MelLoss)} = {MelLoss}: must be one of {string.Join(", ", Enum.GetNames<Tacotron2.MelLoss>())}.", nameof(MelLoss));
        if (!(DiagonalityBand > 0 && DiagonalityBand <= 1))
            throw new ArgumentException($"Training option {nameof(DiagonalityBand)} = {DiagonalityBand}: must be in (0, 1].", nameof(DiagonalityBand));
    }
}
