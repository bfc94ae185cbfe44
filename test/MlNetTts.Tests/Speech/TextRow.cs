namespace MlNetTts.Tests.Speech;

/// <summary>An input row of the speech tests: a text and an id.</summary>
public sealed class TextRow
{
    public string Text { get; set; } = "";

    public string Id { get; set; } = "";
}
