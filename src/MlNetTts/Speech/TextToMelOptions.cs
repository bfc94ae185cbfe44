using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Text;

namespace MlNetTts.Speech;

/// <summary>Options of <see cref="TextToMelEstimator"/> (<c>mlContext.Transforms.TextToMel</c>).</summary>
/// <remarks>
/// The model comes from <see cref="CheckpointPath"/> (an NVIDIA Tacotron 2 checkpoint) or <see cref="Model"/> (a built
/// model, used as is: the transformer moves it to the MLContext's device and sets its precision and dropout). Fitting
/// a model from data arrives with the training issue; until then an estimator without a model throws at Fit.
/// </remarks>
public sealed class TextToMelOptions
{
    /// <summary>Default name of the text column.</summary>
    public const string DefaultInputColumnName = "Text";

    /// <summary>Default name of the mel column.</summary>
    public const string DefaultOutputColumnName = "Mel";

    /// <summary>Default <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 16;

    /// <summary>Default <see cref="SentencePause"/>.</summary>
    public static readonly TimeSpan DefaultSentencePause = TimeSpan.FromMilliseconds(200);

    /// <summary>Text column (string) to speak.</summary>
    public string InputColumnName { get; set; } = DefaultInputColumnName;

    /// <summary>Mel column to add, in <see cref="MelColumn"/>'s layout with <see cref="AudioAnnotations"/> (as ExtractMel writes it).</summary>
    public string OutputColumnName { get; set; } = DefaultOutputColumnName;

    /// <summary>
    /// Optional alignment column (null: not added): float vector, frames-major, one row per mel frame holding that frame's
    /// attention weights over the text's symbols (all sentences' symbols, block-diagonal when the text was split); the
    /// symbol count is its length / frames (see <see cref="SpeechAnnotations.FramesColumn"/>). Large for long texts.
    /// </summary>
    public string? AlignmentColumnName { get; set; }

    /// <summary>Optional int32 column (null: not added): the mel's frame count.</summary>
    public string? MelLengthColumnName { get; set; }

    /// <summary>Optional boolean column (null: not added): true when a sentence of the row was still running at the step cap (its audio may be cut short).</summary>
    public string? HitMaxDecoderStepsColumnName { get; set; }

    /// <summary>Path of a Tacotron 2 checkpoint (NVIDIA's format, zip or legacy); read at Fit.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>A built Tacotron 2 model (takes precedence over <see cref="CheckpointPath"/>).</summary>
    public Tacotron2Model? Model { get; set; }

    /// <summary>Sentences decoded together in one batched inference (default 16); also the rows a cursor gathers at a time.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>Decoder step cap; null: the model's <c>max_decoder_steps</c>.</summary>
    public int? MaxDecoderSteps { get; set; }

    /// <summary>Stop threshold on sigmoid(gate); null: the model's <c>gate_threshold</c>.</summary>
    public double? GateThreshold { get; set; }

    /// <summary>
    /// The prenet's always-on dropout (p = 0.5), as the reference (default true). With it on, outputs are reproducible for
    /// the same data, batch size and MLContext seed; switch it off for outputs independent of batching.
    /// </summary>
    public bool PrenetDropout { get; set; } = true;

    /// <summary>Float32 (default) or Mixed (bf16 on CPU, fp16 on CUDA).</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>
    /// Longest sentence in characters (default <see cref="SentenceSplitterOptions.DefaultMaxLength"/>): texts are split into
    /// sentences of at most this length (<see cref="SentenceSplitter"/>), spoken one by one and joined. 0: no splitting.
    /// </summary>
    public int SentenceMaxLength { get; set; } = SentenceSplitterOptions.DefaultMaxLength;

    /// <summary>Silence between the sentences of one text (default 200 ms), rounded to whole mel frames.</summary>
    public TimeSpan SentencePause { get; set; } = DefaultSentencePause;

    /// <summary>The mel settings the model was trained with (annotations of the mel column); null: the reference defaults with the model's mel channels.</summary>
    public MelSettings? MelSettings { get; set; }
}
