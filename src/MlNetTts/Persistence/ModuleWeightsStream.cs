using Microsoft.ML;
using TorchSharp;

namespace MlNetTts.Persistence;

/// <summary>
/// Stores a TorchSharp module's parameters and buffers as one binary stream inside an ML.NET
/// model zip, next to the transformer's own settings. ML.NET spools each stream through a
/// temporary file, so large weights never need one giant byte array.
/// </summary>
/// <remarks>
/// <see cref="ModelSaveContext.SaveBinaryStream"/> and <see cref="ModelLoadContext.TryLoadBinaryStream"/>
/// are internal to ML.NET 5.0.1; this project compiles against publicized copies and is granted the
/// access at run time by IgnoresAccessChecksTo (build/PublicizedMlNet.targets).
/// </remarks>
internal static class ModuleWeightsStream
{
    public static void Save(ModelSaveContext ctx, string streamName, torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        ArgumentNullException.ThrowIfNull(module);
        ctx.SaveBinaryStream(streamName, writer => module.save(writer));
    }

    /// <summary>Loads weights saved by <see cref="Save"/> into <paramref name="module"/>, which must have the same structure.</summary>
    /// <exception cref="InvalidDataException">The stream is missing or does not fit the module.</exception>
    public static void Load(ModelLoadContext ctx, string streamName, torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        ArgumentNullException.ThrowIfNull(module);
        bool found;
        try
        {
            found = ctx.TryLoadBinaryStream(streamName, reader => module.load(reader, strict: true));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"The model's '{streamName}' weights do not fit a {module.GetName()} of this configuration: {e.Message}", e);
        }
        if (!found)
            throw new InvalidDataException($"The model has no '{streamName}' weights stream: it was not saved by MlNetTts, or it is damaged.");
    }
}
