using System.Globalization;
using System.Text.RegularExpressions;
using MlNetTts.Tests.Training;
using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// What the child process of <see cref="TrainingKillTests"/> runs: train the tiny synthetic Tacotron 2, resuming from
/// the newest epoch checkpoint in the folder if there is one, writing a checkpoint every epoch through a slowed stream
/// (so the parent can kill it mid-write). Prints "start &lt;next epoch&gt; &lt;iteration&gt;", "checkpoint &lt;path&gt;" after each
/// completed write and "done &lt;epochs&gt; &lt;iterations&gt;" when it reaches the requested epoch count.
/// </summary>
public static partial class TrainingKillChild
{
    public const int TrainItems = 6;
    public const int TrainSeed = 11;

    public static Tacotron2TrainingOptions Options(string? folder, int epochs) => new()
    {
        Epochs = epochs,
        BatchSize = 4,
        OutputDirectory = folder,
        EpochsPerCheckpoint = 1,
        TensorBoard = false,
        AnnealSteps = [2, 5],
    };

    /// <summary>The newest complete epoch checkpoint (checkpoint_Tacotron2_&lt;epoch&gt;.safetensors) in <paramref name="folder"/>, or null.</summary>
    public static (string Path, int Epoch)? Newest(string folder) =>
        Directory.GetFiles(folder, "checkpoint_Tacotron2_*.safetensors")
            .Select(p => (Path: p, Match: EpochCheckpoint().Match(System.IO.Path.GetFileName(p))))
            .Where(x => x.Match.Success)
            .Select(x => (x.Path, Epoch: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
            .OrderByDescending(x => x.Epoch)
            .Select(x => ((string, int)?)x)
            .FirstOrDefault();

    [GeneratedRegex(@"^checkpoint_Tacotron2_(\d+)\.safetensors$")]
    private static partial Regex EpochCheckpoint();

    public static int Train(string[] args)
    {
        try
        {
            string folder = args[0];
            int epochs = int.Parse(args[1], CultureInfo.InvariantCulture);
            set_num_threads(1); // the parent's reference run uses one thread too: same float sums, same bits
            TrainingCheckpoint.WriteInterceptor = s => new SlowWriteStream(s, chunkBytes: 64 << 10, TimeSpan.FromMilliseconds(4));
            var options = Options(folder, epochs);
            var trainer = Newest(folder) is { } newest
                ? Tacotron2Trainer.Resume(newest.Path, options)
                : new Tacotron2Trainer(SyntheticSpeech.NewModel(), options);
            Console.WriteLine($"start {trainer.CompletedEpochs} {trainer.Iteration}");
            var result = trainer.Fit(SyntheticSpeech.Create(TrainItems, TrainSeed), progress: new SyncProgress(p =>
            {
                if (p.Kind == TrainingEventKind.Checkpoint) Console.WriteLine($"checkpoint {p.CheckpointPath}");
            }));
            Console.WriteLine($"done {result.EpochsCompleted} {result.Iterations}");
            trainer.Model.Dispose();
            trainer.Dispose();
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }
}
