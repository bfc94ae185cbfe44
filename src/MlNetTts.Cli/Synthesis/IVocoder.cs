using TorchSharp;

namespace MlNetTts.Cli.Synthesis;

/// <summary>Mel spectrograms to audio (WaveGlow or Griffin-Lim; an ML.NET MelToAudio model can take this place later).</summary>
internal interface IVocoder : IDisposable
{
    /// <summary>Short name for messages.</summary>
    string Name { get; }

    /// <summary>Mel channels the vocoder expects.</summary>
    int MelChannels { get; }

    /// <summary>Audio of each item of a padded log-mel batch (B, mels, frames), cut to <paramref name="frames"/>[b] frames.</summary>
    IReadOnlyList<float[]> Vocode(torch.Tensor melBatch, IReadOnlyList<int> frames);
}
