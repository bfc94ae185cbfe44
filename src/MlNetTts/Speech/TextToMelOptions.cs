using Microsoft.ML;
using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Text;
using MlNetTts.Training;

namespace MlNetTts.Speech;

/// <summary>Options of <see cref="TextToMelEstimator"/> (<c>mlContext.Transforms.TextToMel</c>).</summary>
/// <remarks>
/// The model comes from <see cref="CheckpointPath"/> (an NVIDIA Tacotron 2 checkpoint) or <see cref="Model"/> (a built
/// model, used as is: the transformer moves it to the MLContext's device and sets its precision and dropout). With
/// <see cref="Training"/> set, Fit TRAINS: a new model of <see cref="Config"/> (or warm-started from <see cref="Model"/> /
/// <see cref="CheckpointPath"/>) on the input's text column and its <see cref="TargetMelColumnName"/> mels, as NVIDIA's
/// <c>train.py</c> (see <see cref="Tacotron2Trainer"/>).
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

    /// <summary>
    /// Draws decoded per sentence (1-16, default 1: the reference's single draw). Above 1 each sentence is decoded that
    /// many times in the same batches and the draw whose attention covers the most of it is kept; needs
    /// <see cref="PrenetDropout"/> (without it the draws are the same, and one is decoded).
    /// </summary>
    public int Candidates { get; set; } = 1;

    /// <summary>
    /// A pronunciation dictionary for a model trained on text whose known words were ARPAbet (a voice's
    /// <see cref="Voices.VoiceManifest.PronunciationsFile"/>, or <c>mlnet-tts train tacotron2 --pronunciations</c>):
    /// every text, in training and in synthesis, is rewritten with it before encoding. Saved in the model zip.
    /// Null (default): letters, as the reference.
    /// </summary>
    public PronunciationDictionary? Pronunciations { get; set; }

    /// <summary>Float32 (default) or Mixed (bf16 on CPU, fp16 on CUDA).</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>
    /// Longest sentence in characters (default <see cref="SentenceSplitterOptions.DefaultMaxLength"/>): texts are split into
    /// sentences of at most this length (<see cref="SentenceSplitter"/>), spoken one by one and joined. 0: no splitting.
    /// </summary>
    public int SentenceMaxLength { get; set; } = SentenceSplitterOptions.DefaultMaxLength;

    /// <summary>Silence between the sentences of one text (default 200 ms), rounded to whole mel frames.</summary>
    public TimeSpan SentencePause { get; set; } = DefaultSentencePause;

    /// <summary>Default <see cref="TargetMelColumnName"/>: ExtractMel's output column.</summary>
    public const string DefaultTargetMelColumnName = "Mel";

    /// <summary>
    /// Training settings (epochs, batch, learning rate, precision, checkpoint folder, ...); null (the default): Fit does not
    /// train and needs <see cref="Model"/> or <see cref="CheckpointPath"/>. The MLContext's seed, when it has one, replaces
    /// <see cref="TrainingOptions.Seed"/> (data order, dropout and a new model's initial weights).
    /// </summary>
    public Tacotron2TrainingOptions? Training { get; set; }

    /// <summary>
    /// Scoring: stops a running batch within one decoder step when cancelled (the cursor's getter throws
    /// <see cref="OperationCanceledException"/>). Not saved with the model: a loaded model scores without one.
    /// </summary>
    public CancellationToken InferenceCancellation { get; set; }

    /// <summary>Training: the architecture of a new model when neither <see cref="Model"/> nor <see cref="CheckpointPath"/> is set (null: the reference's).</summary>
    public Tacotron2Config? Config { get; set; }

    /// <summary>
    /// Training: the target mel column (float vector in <see cref="MelColumn"/>'s layout, as ExtractMel writes it; its
    /// annotations, when present, become the fitted transformer's <see cref="MelSettings"/>). Mels are kept in float16 while training.
    /// </summary>
    public string TargetMelColumnName { get; set; } = DefaultTargetMelColumnName;

    /// <summary>
    /// Training from audio instead of mels: a waveform column (float vector, as LoadAudio writes it; its SampleRate
    /// annotation, when present, must match). Each row's mel is extracted once, exactly as ExtractMel does, with
    /// <see cref="MelSettings"/> (null: the reference's with the model's mel channels), and kept in float16;
    /// <see cref="TargetMelColumnName"/> is then not read. Null (the default): train on <see cref="TargetMelColumnName"/>.
    /// </summary>
    public string? TrainingAudioColumnName { get; set; }

    /// <summary>Training: optional validation data (same columns); its loss and attention diagonality are computed every epoch.</summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>Training: receives every step, epoch end and checkpoint (also logged to the MLContext's log channel and reported on its progress channel).</summary>
    public IProgress<TrainingProgress>? TrainingProgress { get; set; }

    /// <summary>Training: stops between steps, as <c>MLContext.CancelExecution()</c> does (Fit then throws <see cref="OperationCanceledException"/>; a checkpoint is written when the options ask for one).</summary>
    public CancellationToken TrainingCancellation { get; set; }

    /// <summary>The mel settings the model was trained with (annotations of the mel column); null: the reference defaults with the model's mel channels.</summary>
    public MelSettings? MelSettings { get; set; }
}
