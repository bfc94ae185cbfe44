using MlNetTts.Tacotron2;
using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>
/// Text to audio with a Tacotron 2 model and a vocoder, sentences in batches of <c>batchSize</c> (right-padded ids,
/// as the reference's inference.py; with batch size 1 no padding touches a sentence).
/// </summary>
internal sealed class SpeechSynthesizer(Tacotron2Model tacotron2, IVocoder vocoder, int batchSize, Tacotron2InferenceOptions inference) : ISpeechSynthesizer
{
    /// <summary>The vocoder in use.</summary>
    public IVocoder Vocoder { get; } = vocoder;

    /// <inheritdoc />
    public string VocoderName => Vocoder.Name;

    /// <inheritdoc />
    public IReadOnlyList<SentenceSpeech> Speak(IReadOnlyList<string> sentences, Action? progress = null)
    {
        var result = new List<SentenceSpeech>(sentences.Count);
        for (int start = 0; start < sentences.Count; start += batchSize)
        {
            var batch = sentences.Skip(start).Take(batchSize).ToList();
            result.AddRange(SpeakBatch(batch));
            for (int i = 0; i < batch.Count; i++) progress?.Invoke();
        }
        return result;
    }

    private IEnumerable<SentenceSpeech> SpeakBatch(IReadOnlyList<string> batch)
    {
        var ids = batch.Select(s => TextEncoder.TextToSequence(s)).ToList();
        for (int i = 0; i < ids.Count; i++)
            if (ids[i].Length == 0)
                throw new InvalidDataException($"nothing speakable is left of \"{batch[i]}\" after cleaning.");
        int width = ids.Max(s => s.Length);
        var padded = new long[batch.Count * width];
        for (int b = 0; b < ids.Count; b++)
            for (int t = 0; t < ids[b].Length; t++)
                padded[b * width + t] = ids[b][t];

        using var scope = NewDisposeScope();
        var text = tensor(padded, [batch.Count, width]);
        var lengths = tensor(ids.Select(s => (long)s.Length).ToArray());
        using var inferred = tacotron2.Infer(text, lengths, inference);
        var melLengths = inferred.MelLengths.to(ScalarType.Int64).cpu().data<long>().Select(l => (int)l).ToArray();
        var audio = Vocoder.Vocode(inferred.MelOutputsPostnet, melLengths);
        var mel = inferred.MelOutputsPostnet.to(ScalarType.Float32).cpu();
        var alignments = inferred.Alignments.to(ScalarType.Float32).cpu();
        var speech = new List<SentenceSpeech>(batch.Count);
        for (int b = 0; b < batch.Count; b++)
        {
            int frames = melLengths[b];
            int steps = Math.Min((int)alignments.shape[1], (frames + tacotron2.Config.FramesPerStep - 1) / tacotron2.Config.FramesPerStep);
            speech.Add(new SentenceSpeech(batch[b], audio[b],
                TensorValues.Matrix(mel[b, .., ..frames]), TensorValues.Matrix(alignments[b, ..steps, ..ids[b].Length]), inferred.HitMaxDecoderSteps[b]));
        }
        return speech;
    }

    public void Dispose()
    {
        Vocoder.Dispose();
        tacotron2.Dispose();
    }
}
