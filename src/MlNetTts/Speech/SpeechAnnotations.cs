namespace MlNetTts.Speech;

/// <summary>Annotation kinds of the speech transforms' extra columns (the mel and waveform columns carry <see cref="Audio.AudioAnnotations"/>).</summary>
public static class SpeechAnnotations
{
    /// <summary>
    /// Text, on TextToMel's alignment column: the name of the mel column whose frames are the alignment's rows, so a
    /// row's symbol count is alignment length / frames (frames = mel length / MelChannels).
    /// </summary>
    public const string FramesColumn = "FramesColumn";
}
