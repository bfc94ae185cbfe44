namespace MlNetTts.Checkpoints;

/// <summary>
/// A state dict does not fit a module: every missing key, unexpected key and shape mismatch, all in one error
/// (NVIDIA's users hit these when a symbol set or hyperparameter differs from the checkpoint's).
/// </summary>
public sealed class StateDictMismatchException : ArgumentException
{
    public StateDictMismatchException(
        string moduleName,
        IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<(string Key, long[] Expected, long[] Actual)> shapeMismatches)
        : base(Describe(moduleName, missingKeys, unexpectedKeys, shapeMismatches), "stateDict")
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Parameters and buffers of the module that the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Entries of the state dict that the module does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present on both sides with different shapes: the module's, then the state dict's.</summary>
    public IReadOnlyList<(string Key, long[] Expected, long[] Actual)> ShapeMismatches { get; }

    private static string Describe(
        string moduleName,
        IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected,
        IReadOnlyList<(string Key, long[] Expected, long[] Actual)> shapes)
    {
        static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";
        var lines = new List<string> { $"The state dict does not fit {moduleName}:" };
        if (missing.Count > 0) lines.Add($"  missing keys ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected keys ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (shapes.Count > 0)
            lines.Add($"  shape mismatches ({shapes.Count}): " + string.Join(", ", shapes.Select(s => $"{s.Key} (module {Shape(s.Expected)}, state dict {Shape(s.Actual)})")));
        return string.Join(Environment.NewLine, lines);
    }
}
