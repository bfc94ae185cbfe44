using System.Text.Json;
using MlNetTts.Checkpoints;
using MlNetTts.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Our training checkpoint: ONE safetensors file, written atomically (a crash mid-write leaves the previous file).
/// Tensors: the model's state_dict under <c>model/&lt;key&gt;</c> (NVIDIA's key names; readable by any safetensors
/// tool), the Adam state (TorchSharp's binary form: per parameter step, exp_avg, exp_avg_sq) as the byte tensor
/// <c>optimizer/adam</c>, torch's CPU generator state as <c>rng/cpu</c>. Metadata: <c>format</c>, <c>model</c>
/// (Tacotron2 | WaveGlow), <c>config</c> and <c>options</c> (JSON), <c>progress</c> (JSON: next epoch, next batch
/// within it, iteration, loss scaler state).
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The <c>format</c> metadata value.</summary>
    public const string FormatName = "MlNetTts.TrainingCheckpoint/1";

    internal const string ModelPrefix = "model/";
    private const string OptimizerKey = "optimizer/adam";
    private const string RngKey = "rng/cpu";

    /// <summary>Whether <paramref name="path"/> is one of our training checkpoints (false for NVIDIA's .pt files).</summary>
    public static bool IsTrainingCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return SafeTensorsFile.Open(path).Metadata.TryGetValue("format", out var f) && f == FormatName;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>The model kind (<c>Tacotron2</c> or <c>WaveGlow</c>) a checkpoint holds.</summary>
    public static string ModelKind(string path) => Open(path).Metadata["model"];

    internal static void Write(string path, string modelKind, nn.Module model, string configJson, string optionsJson,
        CheckpointProgress progress, OptimizerHelper optimizer)
    {
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        foreach (var (key, value) in model.state_dict()) tensors.Add((ModelPrefix + key, value));
        using (var buffer = new MemoryStream())
        {
            using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
            tensors.Add((OptimizerKey, tensor(buffer.ToArray())));
        }
        tensors.Add((RngKey, get_rng_state()));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["model"] = modelKind,
            ["config"] = configJson,
            ["options"] = optionsJson,
            ["progress"] = JsonSerializer.Serialize(progress, TrainingJson.Options),
        };
        AtomicFile.Write(path, stream => SafeTensorsWriter.Write(WriteInterceptor?.Invoke(stream) ?? stream, tensors, metadata));
    }

    /// <summary>Test hook: wraps the file stream (e.g. to fail half-way through a write).</summary>
    internal static Func<Stream, Stream>? WriteInterceptor { get; set; }

    internal static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Training checkpoint {path} does not exist.", path);
        var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"{path} is not an MlNetTts training checkpoint (metadata 'format' is '{format ?? "absent"}', expected '{FormatName}').");
        foreach (var key in new[] { "model", "config", "options", "progress" })
            if (!file.Metadata.ContainsKey(key)) throw new InvalidDataException($"Training checkpoint {path} lacks the '{key}' metadata.");
        return file;
    }

    /// <summary>The model's state_dict stored in the checkpoint (caller disposes the tensors).</summary>
    internal static Dictionary<string, Tensor> ReadModelState(SafeTensorsFile file) =>
        file.Names.Where(n => n.StartsWith(ModelPrefix, StringComparison.Ordinal))
            .ToDictionary(n => n[ModelPrefix.Length..], file.Read, StringComparer.Ordinal);

    internal static CheckpointProgress ReadProgress(SafeTensorsFile file, string path) =>
        JsonSerializer.Deserialize<CheckpointProgress>(file.Metadata["progress"], TrainingJson.Options)
        ?? throw new InvalidDataException($"Training checkpoint {path} has an empty 'progress'.");

    /// <summary>Restores the optimizer state and torch's generator state.</summary>
    internal static void RestoreOptimizerAndRng(SafeTensorsFile file, string path, OptimizerHelper optimizer)
    {
        if (!file.Names.Contains(OptimizerKey) || !file.Names.Contains(RngKey))
            throw new InvalidDataException($"Training checkpoint {path} lacks '{OptimizerKey}' or '{RngKey}'.");
        using (var blob = file.Read(OptimizerKey))
        using (var reader = new BinaryReader(new MemoryStream(blob.data<byte>().ToArray())))
            optimizer.load_state_dict(reader);
        using var rng = file.Read(RngKey);
        set_rng_state(rng);
    }
}
