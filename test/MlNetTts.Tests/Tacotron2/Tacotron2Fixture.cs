using System.Text.Json;
using MlNetTts.Checkpoints;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Fixtures;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Tacotron2;

/// <summary>Builds the reference fixture's Tacotron 2 from the manifest (config, weights, settings).</summary>
internal static class Tacotron2Fixture
{
    public static JsonElement Section => ReferenceFixtures.Current.Section("tacotron2");

    /// <summary>The manifest's tacotron2.config as a checkpoint would deliver it (long / double / bool / string).</summary>
    public static Dictionary<string, object?> CheckpointConfig() => ToDictionary(Section.GetProperty("config"));

    public static Tacotron2Config Config() => Tacotron2Config.FromCheckpointConfig(CheckpointConfig());

    /// <summary>The fixture model with its weights (strict load), in eval mode, prenet dropout off as the fixtures were made.</summary>
    public static Tacotron2Model Model(Tacotron2Config? config = null)
    {
        var model = new Tacotron2Model(config ?? Config());
        var path = ReferenceFixtures.Current.PathOf(Section.GetProperty("state_dict_safetensors").GetString()!);
        var stateDict = SafeTensorsFile.ReadAll(path);
        try
        {
            var (missing, unexpected) = model.load_state_dict(stateDict, strict: true);
            Assert.IsEmpty(missing, "missing keys: " + string.Join(", ", missing));
            Assert.IsEmpty(unexpected, "unexpected keys: " + string.Join(", ", unexpected));
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
        model.eval();
        model.PrenetDropout = false;
        return model;
    }

    /// <summary>The manifest's settings of one inference run (tacotron2.inference.NAME).</summary>
    public static (Tacotron2InferenceOptions Options, int StepsRun) Inference(string name)
    {
        var run = Section.GetProperty("inference").GetProperty(name);
        return (new Tacotron2InferenceOptions
        {
            EarlyStopping = run.GetProperty("early_stopping").GetBoolean(),
            MaxDecoderSteps = run.GetProperty("max_decoder_steps").GetInt32(),
            GateThreshold = run.GetProperty("gate_threshold").GetDouble(),
        }, run.GetProperty("steps_run").GetInt32());
    }

    public static Dictionary<string, object?> ToDictionary(JsonElement obj) =>
        obj.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value));

    private static object? ToValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out var l) && !e.GetRawText().Contains('.') && !e.GetRawText().Contains('e') && !e.GetRawText().Contains('E') => l,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Object => ToDictionary(e),
        _ => throw new AssertFailedException($"unexpected JSON value {e.ValueKind} in a checkpoint config"),
    };

    /// <summary>Asserts that every manifest tensor starting with <paramref name="prefix"/> is among <paramref name="ours"/> and matches.</summary>
    public static void AssertAllMatch(string prefix, IReadOnlyDictionary<string, Tensor> ours)
    {
        // Tensor names are shared across models (WaveGlow has infer.* too): keep those of Tacotron 2's file.
        var names = ReferenceFixtures.Current.TensorNames(prefix)
            .Where(n => ReferenceFixtures.Current.TensorEntry(n).GetProperty("file").GetString()!.StartsWith("tacotron2", StringComparison.Ordinal))
            .ToList();
        Assert.IsNotEmpty(names, $"manifest has no tensors named {prefix}*");
        foreach (var name in names)
        {
            Assert.IsTrue(ours.ContainsKey(name), $"the port produces no counterpart of reference tensor '{name}'");
            ReferenceFixtures.Current.AssertMatches(name, ours[name]);
        }
    }
}
