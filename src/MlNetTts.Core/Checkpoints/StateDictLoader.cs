using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Checkpoints;

/// <summary>Copies a state dict into a TorchSharp module by name, strictly.</summary>
public static class StateDictLoader
{
    /// <summary>
    /// Copies every entry of <paramref name="stateDict"/> into the parameter or buffer of the same name of
    /// <paramref name="module"/> (as in <c>module.state_dict()</c>), converting to the module's dtype (an fp16
    /// checkpoint into an fp32 model) and device, under no_grad. Nothing is copied unless the names and shapes
    /// match exactly.
    /// </summary>
    /// <exception cref="StateDictMismatchException">Keys are missing or unexpected, or shapes differ; it lists them all.</exception>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var targets = module.state_dict();
        var missing = targets.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        var shapes = new List<(string Key, long[] Expected, long[] Actual)>();
        foreach (var (key, target) in targets)
            if (stateDict.TryGetValue(key, out var source) && !target.shape.SequenceEqual(source.shape))
                shapes.Add((key, target.shape, source.shape));
        if (missing.Count > 0 || unexpected.Count > 0 || shapes.Count > 0)
            throw new StateDictMismatchException(module.GetName() ?? module.GetType().Name, missing, unexpected, shapes);

        using var noGrad = no_grad();
        foreach (var (key, target) in targets)
            target.copy_(stateDict[key]);
    }
}
