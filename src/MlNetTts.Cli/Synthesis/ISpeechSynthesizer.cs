namespace MlNetTts.Cli.Synthesis;

/// <summary>
/// Sentences to speech. <see cref="SpeechSynthesizer"/> runs NVIDIA checkpoints through the Core models; an ML.NET
/// model zip (TextToMel + MelToAudio) can implement this too, so <c>synthesize</c> needs no other change for it.
/// </summary>
internal interface ISpeechSynthesizer : IDisposable
{
    /// <summary>Vocoder name for messages ("waveglow", "griffin-lim", ...).</summary>
    string VocoderName { get; }

    /// <summary>Speaks each sentence; <paramref name="progress"/> is called once per sentence.</summary>
    IReadOnlyList<SentenceSpeech> Speak(IReadOnlyList<string> sentences, Action? progress = null);
}
