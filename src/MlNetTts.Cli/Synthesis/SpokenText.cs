namespace MlNetTts.Cli.Synthesis;

/// <summary>One synthesized text (all of its sentences, joined with pauses).</summary>
/// <param name="Audio">Mono samples.</param>
/// <param name="Mel">Log-mel, [mel channel, frame].</param>
/// <param name="Alignment">Attention weights, [frame, symbol] (block-diagonal over the sentences); empty when not asked for.</param>
/// <param name="Sentences">How many sentences the text was spoken as.</param>
/// <param name="HitMaxDecoderSteps">A sentence's decoder never stopped: its audio is cut at the step cap.</param>
internal sealed record SpokenText(float[] Audio, float[,] Mel, float[,] Alignment, int Sentences, bool HitMaxDecoderSteps);
