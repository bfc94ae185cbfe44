using Microsoft.ML.Data;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Speech;

/// <summary>TextToMel's view of <see cref="TextSynthesizer"/>: the same synthesis, its arrays wrapped as ML.NET vectors (no copy).</summary>
internal sealed class Tacotron2Synthesizer
{
    private readonly TextSynthesizer _synthesizer;

    public Tacotron2Synthesizer(Tacotron2Model model, TextToMelSettings settings, Device device)
    {
        _synthesizer = new TextSynthesizer(model, new TextSynthesisOptions
        {
            BatchSize = settings.BatchSize,
            MaxDecoderSteps = settings.MaxDecoderSteps,
            GateThreshold = settings.GateThreshold,
            PrenetDropout = settings.PrenetDropout,
            Candidates = settings.Candidates,
            Pronunciations = settings.Pronunciations,
            Precision = settings.Precision,
            SentenceMaxLength = settings.SentenceMaxLength,
            SentencePauseFrames = settings.SentencePauseFrames,
            Seed = settings.Seed,
            CancellationToken = settings.Cancellation,
        }, device);
    }

    public SynthesizedMel[] Synthesize(IReadOnlyList<string> texts, bool withAlignment, long seedOffset) =>
        _synthesizer.Synthesize(texts, withAlignment, seedOffset)
            .Select(s => new SynthesizedMel(new VBuffer<float>(s.Mel.Length, s.Mel), new VBuffer<float>(s.Alignment.Length, s.Alignment), s.Frames, s.HitMaxDecoderSteps))
            .ToArray();
}
