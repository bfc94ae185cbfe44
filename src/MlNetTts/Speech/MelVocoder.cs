namespace MlNetTts.Speech;

/// <summary>How MelToAudio turns a mel into a waveform.</summary>
public enum MelVocoder
{
    /// <summary>NVIDIA's WaveGlow (needs a model or checkpoint).</summary>
    WaveGlow,

    /// <summary>Griffin-Lim phase reconstruction: no model, rough sound (NVIDIA's audio_processing.griffin_lim).</summary>
    GriffinLim,
}
