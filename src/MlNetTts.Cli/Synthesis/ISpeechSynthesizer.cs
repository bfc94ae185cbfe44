namespace MlNetTts.Cli.Synthesis;

/// <summary>
/// Texts to speech: <see cref="SpeechSynthesizer"/> runs NVIDIA checkpoints through Core's <c>TextSynthesizer</c> and a
/// vocoder; <see cref="ModelZipSynthesizer"/> scores an ML.NET model zip (TextToMel + MelToAudio).
/// </summary>
internal interface ISpeechSynthesizer : IDisposable
{
    /// <summary>Vocoder name for messages ("waveglow", "griffin-lim", ...).</summary>
    string VocoderName { get; }

    /// <summary>Sample rate of the audio <see cref="Speak"/> returns.</summary>
    int SampleRate { get; }

    /// <summary>Speaks each text (split into sentences and joined); <paramref name="progress"/> is called once per text.</summary>
    IReadOnlyList<SpokenText> Speak(IReadOnlyList<string> texts, bool withAlignment, Action? progress = null);
}
