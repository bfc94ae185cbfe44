using Microsoft.ML.Data;

namespace MlNetTts.Speech;

/// <summary>One row's TextToMel outputs: mel (frames-major), alignment (frames x symbols, frames-major, or empty when not asked for), frames, cap flag.</summary>
internal sealed record SynthesizedMel(VBuffer<float> Mel, VBuffer<float> Alignment, int Frames, bool HitMaxDecoderSteps);
