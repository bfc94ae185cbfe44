using Microsoft.ML.Data;

namespace MlNetTts.Tests.Hardening;

/// <summary>What a PredictionEngine of TextToMel then MelToAudio returns: the waveform.</summary>
public sealed class SpeechOutput
{
    [VectorType]
    public float[] Audio { get; set; } = [];
}
