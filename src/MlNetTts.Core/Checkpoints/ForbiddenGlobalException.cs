namespace MlNetTts.Checkpoints;

/// <summary>
/// The checkpoint's pickle names a Python global (a function or class, e.g. <c>posix.system</c> or
/// <c>builtins.eval</c>) that is not on <see cref="TorchCheckpoint"/>'s allow-list. Nothing from the file is ever
/// executed: the reader never resolves names to code, it only recognises the allow-listed ones.
/// </summary>
public sealed class ForbiddenGlobalException : CheckpointFormatException
{
    public ForbiddenGlobalException(string filePath, string module, string name)
        : base(filePath, $"refused the pickled global '{module}.{name}'",
               $"{filePath}: refused to load the pickled global '{module}.{name}'. Only PyTorch's tensor and storage " +
               "rebuild functions, storage types, dtypes, torch.Size, torch.device, collections.OrderedDict, set and frozenset " +
               "are allowed (as torch.load(weights_only=True) would); nothing in the file was executed.")
    {
        GlobalName = $"{module}.{name}";
    }

    /// <summary>The refused global as <c>module.name</c>.</summary>
    public string GlobalName { get; }
}
