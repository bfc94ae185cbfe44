namespace MlNetTts.Checkpoints;

/// <summary>
/// A file that <see cref="TorchCheckpoint"/> cannot read: not a PyTorch checkpoint, truncated, corrupt, or using a
/// feature outside what the reader supports. The message names the file and what was wrong.
/// <see cref="ForbiddenGlobalException"/> (derived) is the refusal of a pickled global that is not on the allow-list.
/// It derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so code that
/// handles unreadable files as I/O failures handles these too.
/// </summary>
public class CheckpointFormatException : IOException
{
    public CheckpointFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath} is not a readable PyTorch checkpoint: {problem}.", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    protected CheckpointFormatException(string filePath, string problem, string message)
        : base(message)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string FilePath { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Problem { get; }
}
