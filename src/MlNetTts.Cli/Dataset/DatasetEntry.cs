namespace MlNetTts.Cli.Dataset;

/// <summary>One clip of a dataset listing.</summary>
/// <param name="Line">1-based line in the listing file.</param>
/// <param name="Id">Clip id (LJSpeech id, or the audio file name without extension for file lists).</param>
/// <param name="AudioPath">Full path of the WAV file.</param>
/// <param name="Text">Transcript used for training (LJSpeech: the normalized column when present).</param>
internal sealed record DatasetEntry(int Line, string Id, string AudioPath, string Text);
