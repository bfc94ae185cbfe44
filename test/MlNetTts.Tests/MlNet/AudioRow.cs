namespace MlNetTts.Tests.MlNet;

/// <summary>An input row of the ML.NET audio tests: a WAV path and an id.</summary>
public sealed class AudioRow
{
    public string AudioPath { get; set; } = "";

    public string Id { get; set; } = "";
}
