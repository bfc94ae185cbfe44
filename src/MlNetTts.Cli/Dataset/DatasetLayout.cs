namespace MlNetTts.Cli.Dataset;

/// <summary>How a dataset lists its clips.</summary>
internal enum DatasetLayout
{
    /// <summary>LJSpeech: <c>metadata.csv</c> with <c>id|text|normalized text</c>, audio in <c>wavs/&lt;id&gt;.wav</c>.</summary>
    LjSpeech,

    /// <summary>NVIDIA's file lists: <c>audio path|text</c>, paths relative to an audio root.</summary>
    FileList,
}
