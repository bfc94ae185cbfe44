namespace MlNetTts.Cli.Synthesis;

/// <summary>One synthesized sentence.</summary>
/// <param name="Text">The sentence.</param>
/// <param name="Audio">Mono samples.</param>
/// <param name="Mel">Postnet log-mel, [mel channel, frame].</param>
/// <param name="Alignment">Attention weights, [decoder step, encoder step].</param>
/// <param name="HitMaxDecoderSteps">The decoder never stopped: the audio is cut at the step cap.</param>
internal sealed record SentenceSpeech(string Text, float[] Audio, float[,] Mel, float[,] Alignment, bool HitMaxDecoderSteps);
