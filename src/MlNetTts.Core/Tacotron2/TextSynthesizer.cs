using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// Turns a batch of texts into mels with one Tacotron 2 model: texts are split into sentences, every sentence is
/// encoded, the sentences are decoded together in batches of at most <see cref="TextSynthesisOptions.BatchSize"/>
/// (longest first, so a batch's items need similar step counts), and each text's sentences are joined frame-wise
/// with <see cref="TextSynthesisOptions.SentencePauseFrames"/> frames of silence between them.
/// </summary>
/// <remarks>
/// A row's output does not depend on the other rows of its batch (with prenet dropout off): the autoregressive
/// decoder — the expensive, sequential part — runs batched with padded encoder steps masked, while the encoder and
/// postnet convolutions run per sentence, because in a padded batch they would read the padding (the reference's
/// batched <c>infer</c> lets padding leak into the last frames of shorter items). Each sentence's postnet sees the
/// frames a decode of that sentence alone would have produced (up to and including its stop frame), and its mel is
/// cut to its mel length, as NVIDIA's inference script cuts the audio.
/// With <see cref="TextSynthesisOptions.Candidates"/> above 1 each sentence is decoded that many times in the same
/// batches (the prenet dropout draws differ between rows) and the draw whose attention covers the most of its
/// symbols is kept, ties going to the sharper attention: a draw that skips words leaves symbols unattended.
/// </remarks>
public sealed class TextSynthesizer
{
    /// <summary>log(1e-5): the log-mel of silence, the pause between sentences (<see cref="MelSpectrogram.SilenceLogMel"/>).</summary>
    public static readonly float SilenceLogMel = MelSpectrogram.SilenceLogMel;

    /// <summary>A symbol counts as spoken in a draw when some decoder step puts at least this much attention on it.</summary>
    public const double CoveredAttention = 0.3;

    private readonly Tacotron2Model _model;
    private readonly TextSynthesisOptions _settings;
    private readonly Device _device;
    private readonly SentenceSplitter? _splitter;

    /// <summary>A synthesizer over <paramref name="model"/> (already on <paramref name="device"/>); the model's precision and prenet dropout are set from <paramref name="options"/> on every call.</summary>
    public TextSynthesizer(Tacotron2Model model, TextSynthesisOptions options, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        _settings = options;
        _device = device ?? CPU;
        _splitter = options.SentenceMaxLength > 0 ? new SentenceSplitter(new SentenceSplitterOptions { MaxLength = options.SentenceMaxLength }) : null;
    }

    /// <summary>Symbol sequences of a text's sentences (empty ones left out).</summary>
    public IReadOnlyList<long[]> Sentences(string text)
    {
        var pieces = _splitter is null ? [text] : _splitter.Split(text);
        var result = new List<long[]>(pieces.Count);
        foreach (var piece in pieces)
        {
            var ids = TextEncoder.TextToSequence(piece, _settings.Pronunciations);
            if (ids.Length == 0) continue;
            if (ids.Max() >= _model.Config.SymbolCount)
                throw new InvalidDataException($"Text '{Shorten(piece)}' encodes to symbol id {ids.Max()}, beyond the model's {_model.Config.SymbolCount} symbols (n_symbols).");
            result.Add(Array.ConvertAll(ids, i => (long)i));
        }
        return result;
    }

    /// <summary>The outputs of each text, in input order. <paramref name="seedOffset"/> varies the dropout seed between calls of one run.</summary>
    public SynthesizedText[] Synthesize(IReadOnlyList<string> texts, bool withAlignment = false, long seedOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var sentences = texts.Select(Sentences).ToList();
        // Without the prenet dropout every draw would be the same.
        int draws = _settings.PrenetDropout ? _settings.Candidates : 1;
        var items = new List<(int Row, int Index, long[] Ids)>();
        for (int row = 0; row < sentences.Count; row++)
            for (int i = 0; i < sentences[row].Count; i++)
                for (int draw = 0; draw < draws; draw++) items.Add((row, i, sentences[row][i]));
        // Longest first: a decoder batch runs until its slowest item stops, and text length predicts mel length.
        items.Sort((a, b) => b.Ids.Length.CompareTo(a.Ids.Length));

        var decoded = new DecodedSentence[items.Count];
        var order = new Dictionary<(int, int), List<int>>();
        for (int k = 0; k < items.Count; k++)
        {
            if (!order.TryGetValue((items[k].Row, items[k].Index), out var drawn)) order[(items[k].Row, items[k].Index)] = drawn = [];
            drawn.Add(k);
        }
        lock (_model) // the model's settings and the global RNG are shared state
        {
            _model.Precision = _settings.Precision;
            _model.PrenetDropout = _settings.PrenetDropout;
            long chunk = 0;
            for (int start = 0; start < items.Count; start += _settings.BatchSize, chunk++)
            {
                if (_settings.PrenetDropout) random.manual_seed(_settings.Seed + seedOffset * 7919 + chunk);
                var batch = items.GetRange(start, Math.Min(_settings.BatchSize, items.Count - start));
                var results = DecodeBatch(batch.Select(b => b.Ids).ToList(), withAlignment, score: draws > 1);
                for (int j = 0; j < results.Length; j++) decoded[start + j] = results[j];
            }
        }

        var output = new SynthesizedText[texts.Count];
        for (int row = 0; row < texts.Count; row++)
        {
            var parts = Enumerable.Range(0, sentences[row].Count).Select(i => Best(order[(row, i)].Select(k => decoded[k]))).ToList();
            output[row] = Join(parts, withAlignment);
        }
        return output;
    }

    /// <summary>One decode of a sentence; <paramref name="Coverage"/> (the share of its symbols attended, see <see cref="CoveredAttention"/>) and <paramref name="Focus"/> (the mean of each step's largest attention weight) rank draws.</summary>
    private sealed record DecodedSentence(float[] Mel, int Frames, float[]? Alignment, int Symbols, bool HitCap, double Coverage = 0, double Focus = 0);

    private static DecodedSentence Best(IEnumerable<DecodedSentence> draws)
    {
        var all = draws.ToList();
        return all[Best(all.Select(d => (d.Coverage, d.Focus)).ToList())];
    }

    /// <summary>The index of the draw to keep: the most symbols attended, then the sharpest attention; the first on a tie.</summary>
    internal static int Best(IReadOnlyList<(double Coverage, double Focus)> draws)
    {
        int best = 0;
        for (int k = 1; k < draws.Count; k++)
            if (draws[k].Coverage > draws[best].Coverage || (draws[k].Coverage == draws[best].Coverage && draws[k].Focus > draws[best].Focus)) best = k;
        return best;
    }

    /// <summary>
    /// How well a draw's attention (decoder steps x symbols) covers its text: the share of symbols some step gives at
    /// least <see cref="CoveredAttention"/>, and the mean over steps of the largest weight.
    /// </summary>
    internal static (double Coverage, double Focus) Score(Tensor attention)
    {
        using var scope = NewDisposeScope();
        var weights = attention.to(ScalarType.Float32);
        double coverage = weights.max(0).values.ge(CoveredAttention).to(ScalarType.Float32).mean().item<float>();
        double focus = weights.max(1).values.mean().item<float>();
        return (coverage, focus);
    }

    private DecodedSentence[] DecodeBatch(List<long[]> batch, bool withAlignment, bool score)
    {
        var config = _model.Config;
        int maxSteps = _settings.MaxDecoderSteps ?? config.MaxDecoderSteps;
        double threshold = _settings.GateThreshold ?? config.GateThreshold;
        bool earlyStopping = !config.DecoderNoEarlyStopping;
        int r = config.FramesPerStep;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cast = _settings.Precision.Enter(_device);
        // Encoder per sentence: in a padded batch its convolutions would read the padding.
        var memories = new List<Tensor>(batch.Count);
        foreach (var ids in batch)
        {
            var text = tensor(ids, new long[] { 1, ids.Length }, device: _device);
            var length = tensor(new long[] { ids.Length });
            memories.Add(_model.Encoder.Forward(_model.Embed(text).transpose(1, 2), length).squeeze(0));
        }
        var memory = nn.utils.rnn.pad_sequence(memories, batch_first: true);
        var lengths = tensor(batch.Select(b => (long)b.Length).ToArray(), device: _device);
        var decoded = _model.Decoder.Infer(memory, lengths, maxSteps, threshold, earlyStopping, cancellationToken: _settings.CancellationToken);
        var melLengths = decoded.MelLengths.cpu().data<int>().ToArray();
        long totalFrames = decoded.MelOutputs.shape[2];

        var result = new DecodedSentence[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            using var item = NewDisposeScope();
            bool hit = decoded.HitMaxDecoderSteps[i];
            int frames = melLengths[i];
            // What this sentence decoded alone would have produced: up to and including its stop step.
            long seen = earlyStopping && !hit ? Math.Min(totalFrames, frames + r) : totalFrames;
            if (frames == 0)
            {
                // The gate fired at the first step: nothing to speak for this sentence.
                result[i] = new DecodedSentence([], 0, withAlignment ? [] : null, batch[i].Length, hit);
                continue;
            }
            var mel = decoded.MelOutputs[i].unsqueeze(0).narrow(2, 0, seen);
            var postnet = (mel + _model.Postnet.call(mel)).squeeze(0).narrow(1, 0, frames);
            using var framesMajor = postnet.to(ScalarType.Float32).t().contiguous().cpu();
            // This sentence's attention, (steps, symbols); frames is a whole number of steps (the decoder's lengths are steps x r).
            var steps = decoded.Alignments[i].narrow(0, 0, frames / r).narrow(1, 0, batch[i].Length);
            float[]? alignment = null;
            if (withAlignment)
            {
                // One row per frame (a step's weights repeated for its r frames).
                var perFrame = steps.repeat_interleave(r, 0).to(ScalarType.Float32).contiguous().cpu();
                alignment = perFrame.data<float>().ToArray();
            }
            var (coverage, focus) = score ? Score(steps) : (0, 0);
            result[i] = new DecodedSentence(framesMajor.data<float>().ToArray(), frames, alignment, batch[i].Length, hit, coverage, focus);
        }
        return result;
    }

    /// <summary>Joins a text's sentences frame-wise with silence between them; the alignment is block-diagonal (frames x all symbols).</summary>
    private SynthesizedText Join(List<DecodedSentence> parts, bool withAlignment)
    {
        int channels = _model.Config.MelChannels;
        int pause = parts.Count > 1 ? _settings.SentencePauseFrames : 0;
        int frames = parts.Sum(p => p.Frames) + pause * Math.Max(0, parts.Count - 1);
        var mel = new float[frames * channels];
        int at = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            if (p > 0)
            {
                Array.Fill(mel, SilenceLogMel, at * channels, pause * channels);
                at += pause;
            }
            parts[p].Mel.CopyTo(mel, at * channels);
            at += parts[p].Frames;
        }

        var alignment = Array.Empty<float>();
        if (withAlignment)
        {
            int symbols = parts.Sum(p => p.Symbols);
            alignment = new float[frames * symbols];
            int frame = 0, symbol = 0;
            for (int p = 0; p < parts.Count; p++)
            {
                if (p > 0) frame += pause;
                var part = parts[p];
                for (int t = 0; t < part.Frames; t++)
                    Array.Copy(part.Alignment!, t * part.Symbols, alignment, (frame + t) * symbols + symbol, part.Symbols);
                frame += part.Frames;
                symbol += part.Symbols;
            }
        }
        return new SynthesizedText(mel, frames, channels, alignment, parts.Sum(p => p.Symbols), parts.Any(p => p.HitCap));
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
