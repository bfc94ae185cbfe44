using System.Text.Json;

namespace MlNetTts.Cli.Console;

/// <summary>The JSON style of every <c>--json</c> output: camelCase, indented.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    /// <summary>Writes <paramref name="value"/> as JSON and a newline.</summary>
    public static void Write<T>(TextWriter writer, T value) => writer.WriteLine(JsonSerializer.Serialize(value, Options));
}
