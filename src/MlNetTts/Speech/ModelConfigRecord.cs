namespace MlNetTts.Speech;

/// <summary>
/// Writes a model's checkpoint-style config dictionary (reference key names; values long / double / bool / string /
/// nested dictionary) into a model zip's settings stream and reads it back, so a loaded transformer rebuilds the
/// model through the same <c>FromCheckpointConfig</c> a checkpoint uses.
/// </summary>
internal static class ModelConfigRecord
{
    private const byte Long = 0, Double = 1, Bool = 2, Text = 3, Dictionary = 4;

    public static void Write(BinaryWriter writer, IReadOnlyDictionary<string, object?> config)
    {
        writer.Write(config.Count);
        foreach (var (key, value) in config)
        {
            writer.Write(key);
            switch (value)
            {
                case long l: writer.Write(Long); writer.Write(l); break;
                case int i: writer.Write(Long); writer.Write((long)i); break;
                case double d: writer.Write(Double); writer.Write(d); break;
                case bool b: writer.Write(Bool); writer.Write(b); break;
                case string s: writer.Write(Text); writer.Write(s); break;
                case IReadOnlyDictionary<string, object?> nested: writer.Write(Dictionary); Write(writer, nested); break;
                default: throw new ArgumentException($"Config key '{key}' holds {value?.GetType().Name ?? "null"}, which the model record cannot store.", nameof(config));
            }
        }
    }

    public static Dictionary<string, object?> Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count is < 0 or > 10_000) throw new InvalidDataException($"The model's config record claims {count} entries: it is damaged.");
        var result = new Dictionary<string, object?>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            result[key] = reader.ReadByte() switch
            {
                Long => reader.ReadInt64(),
                Double => reader.ReadDouble(),
                Bool => reader.ReadBoolean(),
                Text => reader.ReadString(),
                Dictionary => Read(reader),
                var tag => throw new InvalidDataException($"The model's config record has an unknown value tag {tag} at key '{key}': it is damaged."),
            };
        }
        return result;
    }
}
