namespace MlNetTts.Tacotron2;

/// <summary>
/// One text's Tacotron 2 output from <see cref="TextSynthesizer"/>: the log-mel frames-major (frame t's
/// <paramref name="MelChannels"/> values at [t*channels, (t+1)*channels)), its frame count, the alignment
/// (frames x <paramref name="Symbols"/>, frames-major; empty unless asked for) and whether any of its sentences
/// hit the max-decoder-steps cap.
/// </summary>
public sealed record SynthesizedText(float[] Mel, int Frames, int MelChannels, float[] Alignment, int Symbols, bool HitMaxDecoderSteps);
