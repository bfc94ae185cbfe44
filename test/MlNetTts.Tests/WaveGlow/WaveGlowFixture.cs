using System.Text.Json;
using MlNetTts.Checkpoints;
using MlNetTts.Tests.Fixtures;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.WaveGlow;

/// <summary>The WaveGlow part of the reference fixture set: its config, weights and settings, all from the manifest.</summary>
internal static class WaveGlowFixture
{
    public static ReferenceFixtures Fixtures => ReferenceFixtures.Current;

    public static JsonElement Section => Fixtures.Section("waveglow");

    /// <summary>The manifest's WaveGlow config, read as a checkpoint's config dictionary would arrive.</summary>
    public static WaveGlowConfig Config => WaveGlowConfig.FromCheckpointConfig(ToDictionary(Section.GetProperty("config")));

    /// <summary>The fixture state_dict (weight-norm form) from the safetensors copy the manifest names.</summary>
    public static Dictionary<string, Tensor> StateDict() =>
        SafeTensorsFile.ReadAll(Fixtures.PathOf(Section.GetProperty("state_dict_safetensors").GetString()!));

    /// <summary>A model in the requested form with the fixture weights loaded (strict).</summary>
    public static WaveGlowModel Model(bool weightNorm = true)
    {
        var model = new WaveGlowModel(Config, weightNorm);
        using var scope = NewDisposeScope();
        model.LoadStateDict(StateDict());
        model.eval();
        return model;
    }

    /// <summary>Noise that replays infer.noise.0, infer.noise.1, ... in order, checking each draw's shape.</summary>
    public static NoiseSource StoredNoise(List<long[]>? drawnShapes = null)
    {
        var names = Fixtures.TensorNames("infer.noise.").OrderBy(n => int.Parse(n["infer.noise.".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int next = 0;
        return shape =>
        {
            drawnShapes?.Add(shape);
            if (next >= names.Count) throw new AssertFailedException($"infer drew noise #{next}, the fixture stores {names.Count}");
            var z = Fixtures.Tensor(names[next++]);
            CollectionAssert.AreEqual(z.shape, shape, $"shape of noise draw #{next - 1}");
            return z;
        };
    }

    /// <summary>JSON -> the CLR values a checkpoint reader produces: long, double, bool, string, nested dictionaries.</summary>
    public static Dictionary<string, object?> ToDictionary(JsonElement obj) =>
        obj.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value));

    private static object? ToValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => ToDictionary(e),
        JsonValueKind.Number when e.TryGetInt64(out var l) => l,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Null => null,
        _ => throw new AssertFailedException($"unexpected JSON value {e}"),
    };
}
