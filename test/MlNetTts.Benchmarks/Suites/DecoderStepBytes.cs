using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using static TorchSharp.torch;

namespace MlNetTts.Benchmarks.Suites;

/// <summary>
/// The bytes one batch-1 Tacotron 2 decoder step must stream from memory, counted from the model's actual parameters:
/// every decoder parameter (prenet, attention RNN, attention layer, decoder RNN, linear projection, gate) except the
/// attention's memory layer, which runs once per utterance (<see cref="Attention.ProcessMemory"/>), not per step.
/// Float32 reads 4 bytes per value. Mixed reads bf16 copies (2 bytes) of the weights of 1 MB and more (the LSTM
/// matrices); smaller layers and all biases stay float32 at inference (<see cref="Cast.SmallLayerBytes"/>) —
/// <see cref="Measure"/> checks that by counting the casts of a one-step decode.
/// The per-step activations (encoder memory and processed memory, read once by the attention) are counted apart.
/// </summary>
public sealed record DecoderStepBytes(long Parameters, long Float32Bytes, long MixedBytes, long ActivationBytes, int CastWeights, int ExpectedCasts)
{
    /// <summary>The parameter that runs once per utterance, not per step.</summary>
    public const string PerUtterancePrefix = "attention_layer.memory_layer.";

    public static DecoderStepBytes Measure(Tacotron2Model model, long encoderSteps)
    {
        ArgumentNullException.ThrowIfNull(model);
        long values = 0, mixedBytes = 0;
        int expectedCasts = 0;
        foreach (var (name, parameter) in model.Decoder.named_parameters())
        {
            if (name.StartsWith(PerUtterancePrefix, StringComparison.Ordinal)) continue;
            values += parameter.numel();
            bool reduced = parameter.dim() >= 2 && parameter.numel() * sizeof(float) >= Cast.SmallLayerBytes;
            if (reduced) expectedCasts++;
            mixedBytes += parameter.numel() * (reduced ? 2 : sizeof(float));
        }

        // Which weights the Mixed decoder really reads as bf16 copies: a one-step decode in a bf16 scope casts each
        // once. Packed as panels (batch 1-2), the LSTM matrices are rounded to bf16 while packing rather than cast by
        // the scope, the same bytes; the count is taken with them row-major.
        var config = model.Config;
        int casts;
        CpuDecoderLoop.PackPanels = false;
        try
        {
            using (var scope = NewDisposeScope())
            using (no_grad())
            using (var cast = CastingScope.Enter(ScalarType.BFloat16))
            {
                var memory = randn(1, encoderSteps, config.EncoderEmbeddingDim);
                var lengths = full(new long[] { 1 }, encoderSteps, dtype: ScalarType.Int64);
                using var result = model.Decoder.Infer(memory, lengths, 1, config.GateThreshold, earlyStopping: false);
                casts = cast.CastCount;
            }
        }
        finally
        {
            CpuDecoderLoop.PackPanels = true;
        }
        // Encoder memory (E values) and processed memory (attention_dim values) per encoder step, float32.
        long activations = encoderSteps * (config.EncoderEmbeddingDim + config.AttentionDim) * sizeof(float);
        return new DecoderStepBytes(values, values * sizeof(float), mixedBytes, activations, casts, expectedCasts);
    }
}
