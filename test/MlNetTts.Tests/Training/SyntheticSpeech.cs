using MlNetTts.Data;
using MlNetTts.Tacotron2;
using MlNetTts.Training;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Training;

/// <summary>
/// Generated training data for learning tests: texts over a small alphabet (ids 1..Alphabet), and for each a
/// "spectrogram" where every symbol lasts the same number of frames and lights its own band of mel channels
/// (a Gaussian bump at channel (7 s) mod mels, -1 on a -8 floor, plus a little deterministic noise). The right
/// alignment is therefore the straight diagonal, which is what <see cref="AttentionDiagonality"/> scores.
/// </summary>
internal static class SyntheticSpeech
{
    public const int Alphabet = 10;
    public const int MelChannels = 20;

    /// <summary>A small Tacotron 2 (about 0.2 M parameters) that trains in seconds on 2 cores.</summary>
    public static Tacotron2Config TinyConfig { get; } = new()
    {
        MelChannels = MelChannels,
        SymbolCount = Alphabet + 1,
        SymbolsEmbeddingDim = 32,
        EncoderEmbeddingDim = 32,
        EncoderConvolutions = 2,
        AttentionRnnDim = 64,
        AttentionDim = 32,
        AttentionLocationFilters = 8,
        AttentionLocationKernelSize = 15,
        DecoderRnnDim = 64,
        PrenetDim = 32,
        PostnetEmbeddingDim = 32,
        PostnetConvolutions = 3,
        MaxDecoderSteps = 300,
    };

    public static TextMelDataset Create(int count, int seed, int minSymbols = 4, int maxSymbols = 10, int framesPerSymbol = 3, MelStorage storage = MelStorage.Float16)
    {
        var random = new Random(seed);
        var data = new TextMelDataset(MelChannels, storage);
        for (int item = 0; item < count; item++)
        {
            int length = random.Next(minSymbols, maxSymbols + 1);
            var text = Enumerable.Range(0, length).Select(_ => random.Next(1, Alphabet + 1)).ToArray();
            int frames = length * framesPerSymbol;
            var mel = new float[frames * MelChannels];
            for (int t = 0; t < frames; t++)
            {
                int symbol = text[t / framesPerSymbol];
                double centre = symbol * 7 % MelChannels;
                for (int c = 0; c < MelChannels; c++)
                {
                    double d = Math.Min(Math.Abs(c - centre), MelChannels - Math.Abs(c - centre));
                    mel[t * MelChannels + c] = (float)(-8 + 7 * Math.Exp(-d * d / 4) + 0.1 * (random.NextDouble() - 0.5));
                }
            }
            data.Add(text, mel, MelLayout.FramesMajor);
        }
        return data;
    }

    public static Tacotron2Model NewModel(long seed = 42)
    {
        manual_seed(seed);
        return new Tacotron2Model(TinyConfig);
    }

    /// <summary>Mean teacher-forced loss (reference loss only) and diagonality over <paramref name="data"/>, eval mode, prenet dropout on with a fixed seed.</summary>
    public static (double Loss, double Diagonality) Evaluate(Tacotron2Model model, TextMelDataset data, int batchSize = 8)
    {
        bool wasTraining = model.training;
        model.eval();
        using var saved = get_rng_state();
        manual_seed(7);
        try
        {
            using var noGrad = no_grad();
            double loss = 0, diagonal = 0;
            var batches = BatchPlanner.Sequential(data.Count, batchSize);
            foreach (var items in batches)
            {
                using var scope = NewDisposeScope();
                var batch = TextMelCollate.Collate(data, items, model.Config.FramesPerStep);
                var output = model.Forward(batch.TextPadded, batch.InputLengths, batch.MelPadded, batch.OutputLengths);
                loss += Tacotron2Loss.Compute(output, batch.MelPadded, batch.GatePadded).Total.item<float>();
                diagonal += AttentionDiagonality.Score(output.Alignments, batch.InputLengths, batch.OutputLengths, model.Config.FramesPerStep);
            }
            return (loss / batches.Length, diagonal / batches.Length);
        }
        finally
        {
            set_rng_state(saved);
            if (wasTraining) model.train();
        }
    }

    /// <summary>Copies of the parameters (not buffers such as BatchNorm statistics).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.detach().clone().DetachFromDisposeScope());

    public static double MaxDifference(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b)
    {
        Assert.HasCount(a.Count, b.Keys.ToArray());
        double max = 0;
        foreach (var (key, value) in a)
        {
            using var d = (value.to(ScalarType.Float64) - b[key].to(ScalarType.Float64)).abs().max();
            max = Math.Max(max, d.item<double>());
        }
        return max;
    }
}

/// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
