namespace MlNetTts.Data;

/// <summary>Element order of a flat mel spectrogram.</summary>
public enum MelLayout
{
    /// <summary>Frame after frame, each frame's mel channels contiguous (ML.NET's mel column): index = frame * mels + channel.</summary>
    FramesMajor,

    /// <summary>Channel after channel, as a (mels, frames) tensor: index = channel * frames + frame.</summary>
    ChannelsMajor,
}
