using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>What a model's trainer supplies to <see cref="TrainingEngine"/>.</summary>
internal interface ITrainingTask
{
    /// <summary>"Tacotron2" or "WaveGlow": checkpoint file names and metadata.</summary>
    string ModelKind { get; }

    /// <summary>The batches of training epoch <paramref name="epoch"/>.</summary>
    int[][] PlanEpoch(int epoch);

    /// <summary>
    /// Loads a batch and runs the forward pass and loss of <paramref name="share"/>'s rows on its replica and device
    /// (inside the caller's dispose scope, with grad; with several replicas, concurrently on their own threads).
    /// </summary>
    StepLoss Forward(int[] items, int epoch, BatchShare share);

    /// <summary>A fresh model like the trained one (same config and settings) on <paramref name="device"/>: a data-parallel replica.</summary>
    nn.Module CreateReplica(Device device);

    /// <summary>Mean validation loss and diagonality (null when there is no validation set); may log images.</summary>
    (double Loss, double? Diagonality)? Validate(int epoch, TensorBoardWriter? board, long iteration);

    string ConfigJson { get; }

    string OptionsJson { get; }
}

/// <summary>A batch's loss, its named terms (scalars), and its item count for items/s.</summary>
internal sealed record StepLoss(Tensor Total, IReadOnlyList<(string Name, Tensor Value)> Components, long Items);
