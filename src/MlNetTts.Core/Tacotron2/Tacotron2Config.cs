using System.Globalization;

namespace MlNetTts.Tacotron2;

/// <summary>
/// Hyper-parameters of Tacotron 2, one property per keyword argument of NVIDIA's <c>Tacotron2(**config)</c>
/// (DeepLearningExamples 20.06); the defaults are the reference's (<c>tacotron2/arg_parser.py</c>).
/// The reference key of each property is given in its summary and used by <see cref="FromCheckpointConfig"/>.
/// </summary>
public sealed record Tacotron2Config
{
    /// <summary><c>mask_padding</c>: in teacher-forced outputs, mel frames beyond each length become 0 and gate logits 1e3.</summary>
    public bool MaskPadding { get; init; }

    /// <summary><c>n_mel_channels</c>.</summary>
    public int MelChannels { get; init; } = 80;

    /// <summary><c>n_symbols</c>: rows of the symbol embedding (148 for NVIDIA's English symbol set).</summary>
    public int SymbolCount { get; init; } = 148;

    /// <summary><c>symbols_embedding_dim</c>: must equal <see cref="EncoderEmbeddingDim"/> (the embedding feeds the encoder convolutions).</summary>
    public int SymbolsEmbeddingDim { get; init; } = 512;

    /// <summary><c>encoder_kernel_size</c> (odd).</summary>
    public int EncoderKernelSize { get; init; } = 5;

    /// <summary><c>encoder_n_convolutions</c>.</summary>
    public int EncoderConvolutions { get; init; } = 3;

    /// <summary><c>encoder_embedding_dim</c> (even: the BiLSTM has half of it per direction).</summary>
    public int EncoderEmbeddingDim { get; init; } = 512;

    /// <summary><c>attention_rnn_dim</c>.</summary>
    public int AttentionRnnDim { get; init; } = 1024;

    /// <summary><c>attention_dim</c>.</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary><c>attention_location_n_filters</c>.</summary>
    public int AttentionLocationFilters { get; init; } = 32;

    /// <summary><c>attention_location_kernel_size</c> (odd).</summary>
    public int AttentionLocationKernelSize { get; init; } = 31;

    /// <summary><c>n_frames_per_step</c>: mel frames produced per decoder step (r).</summary>
    public int FramesPerStep { get; init; } = 1;

    /// <summary><c>decoder_rnn_dim</c>.</summary>
    public int DecoderRnnDim { get; init; } = 1024;

    /// <summary><c>prenet_dim</c>.</summary>
    public int PrenetDim { get; init; } = 256;

    /// <summary><c>max_decoder_steps</c>: inference stops after this many decoder steps.</summary>
    public int MaxDecoderSteps { get; init; } = 2000;

    /// <summary><c>gate_threshold</c>: an item stops at the first step with sigmoid(gate) above this.</summary>
    public double GateThreshold { get; init; } = 0.5;

    /// <summary><c>p_attention_dropout</c> (training only).</summary>
    public double AttentionDropout { get; init; } = 0.1;

    /// <summary><c>p_decoder_dropout</c> (training only).</summary>
    public double DecoderDropout { get; init; } = 0.1;

    /// <summary><c>postnet_embedding_dim</c>.</summary>
    public int PostnetEmbeddingDim { get; init; } = 512;

    /// <summary><c>postnet_kernel_size</c> (odd).</summary>
    public int PostnetKernelSize { get; init; } = 5;

    /// <summary><c>postnet_n_convolutions</c> (at least 2: the first maps mels in, the last maps back to mels).</summary>
    public int PostnetConvolutions { get; init; } = 5;

    /// <summary><c>decoder_no_early_stopping</c>: when true, inference always runs <see cref="MaxDecoderSteps"/> steps.</summary>
    public bool DecoderNoEarlyStopping { get; init; }

    /// <summary>The reference key names, in the order of <c>Tacotron2.__init__</c>'s parameters.</summary>
    public static IReadOnlyList<string> CheckpointKeys { get; } =
    [
        "mask_padding", "n_mel_channels", "n_symbols", "symbols_embedding_dim", "encoder_kernel_size",
        "encoder_n_convolutions", "encoder_embedding_dim", "attention_rnn_dim", "attention_dim",
        "attention_location_n_filters", "attention_location_kernel_size", "n_frames_per_step", "decoder_rnn_dim",
        "prenet_dim", "max_decoder_steps", "gate_threshold", "p_attention_dropout", "p_decoder_dropout",
        "postnet_embedding_dim", "postnet_kernel_size", "postnet_n_convolutions", "decoder_no_early_stopping",
    ];

    /// <summary>
    /// Builds a config from a checkpoint's <c>config</c> dictionary (the kwargs of <c>Tacotron2(**config)</c>), whose
    /// values arrive as long / double / bool / string. Keys that are absent keep the reference default. An unknown
    /// key is an error, as it is for the reference constructor: it means a model this port does not know how to
    /// build. Integers may be given for float fields; a fractional value for an integer field is an error.
    /// </summary>
    public static Tacotron2Config FromCheckpointConfig(IReadOnlyDictionary<string, object?> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = new Tacotron2Config();
        foreach (var (key, value) in config)
        {
            c = key switch
            {
                "mask_padding" => c with { MaskPadding = ToBool(key, value) },
                "n_mel_channels" => c with { MelChannels = ToInt(key, value) },
                "n_symbols" => c with { SymbolCount = ToInt(key, value) },
                "symbols_embedding_dim" => c with { SymbolsEmbeddingDim = ToInt(key, value) },
                "encoder_kernel_size" => c with { EncoderKernelSize = ToInt(key, value) },
                "encoder_n_convolutions" => c with { EncoderConvolutions = ToInt(key, value) },
                "encoder_embedding_dim" => c with { EncoderEmbeddingDim = ToInt(key, value) },
                "attention_rnn_dim" => c with { AttentionRnnDim = ToInt(key, value) },
                "attention_dim" => c with { AttentionDim = ToInt(key, value) },
                "attention_location_n_filters" => c with { AttentionLocationFilters = ToInt(key, value) },
                "attention_location_kernel_size" => c with { AttentionLocationKernelSize = ToInt(key, value) },
                "n_frames_per_step" => c with { FramesPerStep = ToInt(key, value) },
                "decoder_rnn_dim" => c with { DecoderRnnDim = ToInt(key, value) },
                "prenet_dim" => c with { PrenetDim = ToInt(key, value) },
                "max_decoder_steps" => c with { MaxDecoderSteps = ToInt(key, value) },
                "gate_threshold" => c with { GateThreshold = ToDouble(key, value) },
                "p_attention_dropout" => c with { AttentionDropout = ToDouble(key, value) },
                "p_decoder_dropout" => c with { DecoderDropout = ToDouble(key, value) },
                "postnet_embedding_dim" => c with { PostnetEmbeddingDim = ToInt(key, value) },
                "postnet_kernel_size" => c with { PostnetKernelSize = ToInt(key, value) },
                "postnet_n_convolutions" => c with { PostnetConvolutions = ToInt(key, value) },
                "decoder_no_early_stopping" => c with { DecoderNoEarlyStopping = ToBool(key, value) },
                _ => throw new ArgumentException(
                    $"Tacotron 2 checkpoint config has an unknown key '{key}'; expected only: {string.Join(", ", CheckpointKeys)}.", nameof(config)),
            };
        }
        c.Validate();
        return c;
    }

    /// <summary>The config as a checkpoint's <c>config</c> dictionary (reference key names; ints as long, floats as double).</summary>
    public Dictionary<string, object?> ToCheckpointConfig() => new()
    {
        ["mask_padding"] = MaskPadding,
        ["n_mel_channels"] = (long)MelChannels,
        ["n_symbols"] = (long)SymbolCount,
        ["symbols_embedding_dim"] = (long)SymbolsEmbeddingDim,
        ["encoder_kernel_size"] = (long)EncoderKernelSize,
        ["encoder_n_convolutions"] = (long)EncoderConvolutions,
        ["encoder_embedding_dim"] = (long)EncoderEmbeddingDim,
        ["attention_rnn_dim"] = (long)AttentionRnnDim,
        ["attention_dim"] = (long)AttentionDim,
        ["attention_location_n_filters"] = (long)AttentionLocationFilters,
        ["attention_location_kernel_size"] = (long)AttentionLocationKernelSize,
        ["n_frames_per_step"] = (long)FramesPerStep,
        ["decoder_rnn_dim"] = (long)DecoderRnnDim,
        ["prenet_dim"] = (long)PrenetDim,
        ["max_decoder_steps"] = (long)MaxDecoderSteps,
        ["gate_threshold"] = GateThreshold,
        ["p_attention_dropout"] = AttentionDropout,
        ["p_decoder_dropout"] = DecoderDropout,
        ["postnet_embedding_dim"] = (long)PostnetEmbeddingDim,
        ["postnet_kernel_size"] = (long)PostnetKernelSize,
        ["postnet_n_convolutions"] = (long)PostnetConvolutions,
        ["decoder_no_early_stopping"] = DecoderNoEarlyStopping,
    };

    /// <summary>Throws when the config cannot build a working model, naming the offending field.</summary>
    public void Validate()
    {
        Positive(MelChannels, "n_mel_channels");
        Positive(SymbolCount, "n_symbols");
        Positive(SymbolsEmbeddingDim, "symbols_embedding_dim");
        Positive(EncoderConvolutions, "encoder_n_convolutions");
        Positive(EncoderEmbeddingDim, "encoder_embedding_dim");
        Positive(AttentionRnnDim, "attention_rnn_dim");
        Positive(AttentionDim, "attention_dim");
        Positive(AttentionLocationFilters, "attention_location_n_filters");
        Positive(FramesPerStep, "n_frames_per_step");
        Positive(DecoderRnnDim, "decoder_rnn_dim");
        Positive(PrenetDim, "prenet_dim");
        Positive(MaxDecoderSteps, "max_decoder_steps");
        Positive(PostnetEmbeddingDim, "postnet_embedding_dim");
        Odd(EncoderKernelSize, "encoder_kernel_size");
        Odd(AttentionLocationKernelSize, "attention_location_kernel_size");
        Odd(PostnetKernelSize, "postnet_kernel_size");
        if (SymbolsEmbeddingDim != EncoderEmbeddingDim)
            throw new ArgumentException($"symbols_embedding_dim ({SymbolsEmbeddingDim}) must equal encoder_embedding_dim ({EncoderEmbeddingDim}): the embedding feeds the encoder convolutions.");
        if (EncoderEmbeddingDim % 2 != 0)
            throw new ArgumentException($"encoder_embedding_dim ({EncoderEmbeddingDim}) must be even: the bidirectional LSTM has half of it per direction.");
        if (PostnetConvolutions < 2)
            throw new ArgumentException($"postnet_n_convolutions ({PostnetConvolutions}) must be at least 2 (the reference always builds a first and a last convolution).");
        Probability(AttentionDropout, "p_attention_dropout");
        Probability(DecoderDropout, "p_decoder_dropout");
        Probability(GateThreshold, "gate_threshold");
    }

    private static void Positive(int value, string key)
    {
        if (value <= 0) throw new ArgumentException($"Tacotron 2 config '{key}' must be positive; got {value}.");
    }

    private static void Odd(int value, string key)
    {
        if (value <= 0 || value % 2 != 1) throw new ArgumentException($"Tacotron 2 config '{key}' must be a positive odd number (\"same\" padding); got {value}.");
    }

    private static void Probability(double value, string key)
    {
        if (!(value >= 0 && value <= 1)) throw new ArgumentException($"Tacotron 2 config '{key}' must be in [0, 1]; got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    private static int ToInt(string key, object? value) => value switch
    {
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        int i => i,
        double d when d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
        _ => throw new ArgumentException($"Tacotron 2 checkpoint config '{key}' must be an integer; got {Describe(value)}.", nameof(value)),
    };

    private static double ToDouble(string key, object? value) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        _ => throw new ArgumentException($"Tacotron 2 checkpoint config '{key}' must be a number; got {Describe(value)}.", nameof(value)),
    };

    private static bool ToBool(string key, object? value) => value switch
    {
        bool b => b,
        _ => throw new ArgumentException($"Tacotron 2 checkpoint config '{key}' must be a boolean; got {Describe(value)}.", nameof(value)),
    };

    private static string Describe(object? value) =>
        value is null ? "null" : $"{value.GetType().Name} {Convert.ToString(value, CultureInfo.InvariantCulture)}";
}
