using MlNetTts.Audio;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>
/// Text to audio with a Tacotron 2 model and a vocoder. Sentence splitting, batched decoding (a text's mel does not
/// depend on its batch mates) and joining with pauses are Core's <see cref="TextSynthesizer"/> — the same code the
/// ML.NET TextToMel transform runs; this class only vocodes each text's joined mel.
/// </summary>
internal sealed class SpeechSynthesizer(Tacotron2Model tacotron2, IVocoder vocoder, TextSynthesisOptions options) : ISpeechSynthesizer
{
    private readonly TextSynthesizer _synthesizer = new(tacotron2, options);

    /// <summary>The vocoder in use.</summary>
    public IVocoder Vocoder { get; } = vocoder;

    /// <inheritdoc />
    public string VocoderName => Vocoder.Name;

    /// <inheritdoc />
    public int SampleRate => WaveFile.DefaultSampleRate;

    /// <inheritdoc />
    public IReadOnlyList<SpokenText> Speak(IReadOnlyList<string> texts, bool withAlignment, Action? progress = null)
    {
        var counts = new int[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            counts[i] = _synthesizer.Sentences(texts[i]).Count;
            if (counts[i] == 0) throw new InvalidDataException($"nothing speakable is left of \"{texts[i]}\" after cleaning.");
        }
        var mels = _synthesizer.Synthesize(texts, withAlignment);
        var result = new List<SpokenText>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            var mel = mels[i];
            float[] audio;
            using (var scope = NewDisposeScope())
            {
                var batch = mel.Frames == 0
                    ? zeros(1, mel.MelChannels, 0)
                    : tensor(mel.Mel, [1, mel.Frames, mel.MelChannels]).transpose(1, 2).contiguous();
                audio = mel.Frames == 0 ? [] : Vocoder.Vocode(batch, [mel.Frames])[0];
            }
            result.Add(new SpokenText(audio, MelMatrix(mel.Mel, mel.Frames, mel.MelChannels),
                Matrix(mel.Alignment, mel.Frames, mel.Symbols, withAlignment), counts[i], mel.HitMaxDecoderSteps));
            progress?.Invoke();
        }
        return result;
    }

    /// <summary>Frames-major log-mel values as [channel, frame].</summary>
    internal static float[,] MelMatrix(float[] framesMajor, int frames, int channels)
    {
        var mel = new float[channels, frames];
        for (int t = 0; t < frames; t++)
            for (int c = 0; c < channels; c++)
                mel[c, t] = framesMajor[t * channels + c];
        return mel;
    }

    private static float[,] Matrix(float[] rowsMajor, int rows, int columns, bool present)
    {
        if (!present || rowsMajor.Length == 0) return new float[0, 0];
        var matrix = new float[rows, columns];
        Buffer.BlockCopy(rowsMajor, 0, matrix, 0, rows * columns * sizeof(float));
        return matrix;
    }

    public void Dispose()
    {
        Vocoder.Dispose();
        tacotron2.Dispose();
    }
}
