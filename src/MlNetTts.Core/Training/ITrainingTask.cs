using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>What a model's trainer supplies to <see cref="TrainingEngine"/>.</summary>
internal interface ITrainingTask
{
    /// <summary>"Tacotron2" or "WaveGlow": checkpoint file names and metadata.</summary>
    string ModelKind { get; }

    /// <summary>The batches of training epoch <paramref name="epoch"/>.</summary>
    int[][] PlanEpoch(int epoch);

    /// <summary>Loads a batch and runs the forward pass and loss (inside the step's dispose scope, with grad).</summary>
    StepLoss Forward(int[] items, int epoch);

    /// <summary>Mean validation loss and diagonality (null when there is no validation set); may log images.</summary>
    (double Loss, double? Diagonality)? Validate(int epoch, TensorBoardWriter? board, long iteration);

    string ConfigJson { get; }

    string OptionsJson { get; }
}

/// <summary>A batch's loss, its named terms (scalars), and its item count for items/s.</summary>
internal sealed record StepLoss(Tensor Total, IReadOnlyList<(string Name, Tensor Value)> Components, long Items);
