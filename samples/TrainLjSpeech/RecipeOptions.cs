using MlNetTts.Tacotron2;
using MlNetTts.Training;
using MlNetTts.WaveGlow;

namespace MlNetTts.Samples.TrainLjSpeech;

/// <summary>What the recipe trains and where it writes.</summary>
internal sealed record RecipeOptions
{
    /// <summary>LJSpeech folder: metadata.csv ('id|text|normalized text') and wavs/&lt;id&gt;.wav.</summary>
    public required string DatasetDirectory { get; init; }

    /// <summary>Checkpoints, TensorBoard events and the final model zip go here (tacotron2/, waveglow/, tts.zip).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Share of the clips held out for validation (NVIDIA's LJSpeech split holds out 100 of 13100).</summary>
    public double ValidationShare { get; init; } = 0.01;

    /// <summary>Model sizes (the reference's by default).</summary>
    public Tacotron2Config Tacotron2 { get; init; } = new();

    public WaveGlowConfig WaveGlow { get; init; } = new();

    /// <summary>Training settings (the reference's scripts' defaults).</summary>
    public Tacotron2TrainingOptions Tacotron2Training { get; init; } = new();

    public WaveGlowTrainingOptions WaveGlowTraining { get; init; } = new();

    /// <summary>Stop threshold of the saved chain's decoder (null: the model's gate_threshold).</summary>
    public double? GateThreshold { get; init; }

    /// <summary>Train WaveGlow too (false: the saved chain vocodes with Griffin-Lim).</summary>
    public bool TrainWaveGlow { get; init; } = true;

    /// <summary>
    /// A few steps of tiny models, for CI: the reference's architecture at small sizes, one epoch each, batch 2,
    /// 2048-sample WaveGlow segments.
    /// </summary>
    public static RecipeOptions Smoke(string dataset, string output) => new()
    {
        DatasetDirectory = dataset,
        OutputDirectory = output,
        ValidationShare = 0.25,
        Tacotron2 = new Tacotron2Config
        {
            SymbolsEmbeddingDim = 32, EncoderEmbeddingDim = 32, EncoderConvolutions = 1, AttentionRnnDim = 32, AttentionDim = 16,
            AttentionLocationFilters = 4, DecoderRnnDim = 32, PrenetDim = 16, PostnetEmbeddingDim = 16, PostnetConvolutions = 2,
            MaxDecoderSteps = 50,
        },
        // An untrained gate may fire at once: only stop at the step cap, so the saved chain speaks.
        GateThreshold = 0.999999,
        WaveGlow = new WaveGlowConfig { NFlows = 2, NGroup = 4, NEarlyEvery = 4, NEarlySize = 2, WN = new WaveNetConfig { NLayers = 2, NChannels = 8, KernelSize = 3 } },
        Tacotron2Training = new Tacotron2TrainingOptions { Epochs = 1, BatchSize = 2, EpochsPerCheckpoint = 1, TensorBoard = false },
        WaveGlowTraining = new WaveGlowTrainingOptions { Epochs = 1, BatchSize = 2, SegmentLength = 2048, EpochsPerCheckpoint = 1, TensorBoard = false },
    };
}
