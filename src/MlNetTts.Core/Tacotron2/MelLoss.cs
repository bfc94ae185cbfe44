namespace MlNetTts.Tacotron2;

/// <summary>
/// How <see cref="Tacotron2Loss"/> scores the predicted mels (before and after the postnet) against the recorded ones.
/// </summary>
public enum MelLoss
{
    /// <summary>Mean squared error: the reference's loss.</summary>
    Mse,

    /// <summary>
    /// Mean absolute error. Its minimiser is the median of the frames a text could have rather than their mean, so
    /// a small model's mels are blurred less over time and frequency (Coqui TTS trains Tacotron with it).
    /// </summary>
    L1,

    /// <summary>Mean absolute error plus mean squared error, each as above (ESPnet's Tacotron 2 loss).</summary>
    L1PlusMse,
}
