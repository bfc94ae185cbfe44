using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetTts.Training;

/// <summary>JSON settings of checkpoint metadata: NaN/infinity allowed (a loss can be NaN), enums by name.</summary>
internal static class TrainingJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };
}
