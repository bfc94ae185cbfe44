namespace MlNetTts.Audio;

/// <summary>Sample encodings <see cref="WaveFile"/> reads and writes.</summary>
public enum WaveEncoding
{
    /// <summary>8-bit unsigned integer PCM.</summary>
    Pcm8,

    /// <summary>16-bit signed integer PCM (the default for writing: what every player and corpus uses).</summary>
    Pcm16,

    /// <summary>24-bit signed integer PCM.</summary>
    Pcm24,

    /// <summary>32-bit signed integer PCM.</summary>
    Pcm32,

    /// <summary>32-bit IEEE float.</summary>
    Float32,

    /// <summary>64-bit IEEE float (read only).</summary>
    Float64,
}
