using Microsoft.ML;
using MlNetTts.Tacotron2;
using MlNetTts.WaveGlow;

namespace MlNetTts.Persistence;

/// <summary>
/// A model zip's config record is read before its weights and sizes the model that is then allocated. A damaged or
/// hostile record (one flipped byte makes a width of 64 into 16,448) would allocate gigabytes before the weights
/// stream could be found not to fit. So the weights the config implies are compared with the weights stream's length
/// first: a lower bound on the parameter count (the large weight matrices, no biases or norms) at 2 bytes each (the
/// smallest stored dtype) may not exceed the bytes the stream holds.
/// </summary>
internal static class ModelSizeGuard
{
    /// <summary>Fewer than the parameters a Tacotron 2 of <paramref name="c"/> has (its large weight matrices).</summary>
    public static double Tacotron2Parameters(Tacotron2Config c)
    {
        double e = c.EncoderEmbeddingDim, a = c.AttentionRnnDim, d = c.DecoderRnnDim, p = c.PrenetDim, frame = (double)c.MelChannels * c.FramesPerStep;
        return (double)c.SymbolCount * c.SymbolsEmbeddingDim
            + (double)c.EncoderConvolutions * e * e * c.EncoderKernelSize
            + 2 * 4 * (e / 2) * (e + e / 2)                                     // bidirectional encoder LSTM
            + frame * p + p * p                                                 // prenet
            + 4 * a * (p + e + a)                                               // attention LSTM cell
            + (double)c.AttentionDim * (a + e)                                  // query and memory layers
            + (double)c.AttentionLocationFilters * (2.0 * c.AttentionLocationKernelSize + c.AttentionDim)
            + 4 * d * (a + e + d)                                               // decoder LSTM cell
            + frame * (d + e)                                                   // linear projection
            + (double)c.PostnetEmbeddingDim * c.PostnetKernelSize * (2 * c.MelChannels + (c.PostnetConvolutions - 2.0) * c.PostnetEmbeddingDim);
    }

    /// <summary>Fewer than the parameters a WaveGlow of <paramref name="c"/> has (upsampler and WaveNet layers).</summary>
    public static double WaveGlowParameters(WaveGlowConfig c)
    {
        double ch = c.WN.NChannels, mel = c.NMelChannels;
        return mel * mel * c.UpsampleKernelSize
            + (double)c.NFlows * c.WN.NLayers * (2 * ch * ch * c.WN.KernelSize + mel * 2 * ch + ch * ch);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when <paramref name="parameters"/> cannot fit the <paramref name="streamName"/> stream.</summary>
    public static void Check(ModelLoadContext ctx, string streamName, double parameters, string what)
    {
        long? length = null;
        ctx.TryLoadBinaryStream(streamName, reader => length = reader.BaseStream.CanSeek ? reader.BaseStream.Length : null);
        // A missing stream is reported by ModuleWeightsStream.Load; an unseekable one (not ML.NET's) cannot be measured.
        if (length is not { } bytes) return;
        if (parameters * 2 > bytes)
            throw new InvalidDataException(
                $"The model's {what} config implies at least {parameters:N0} parameters, but its '{streamName}' weights stream holds {bytes:N0} bytes: the model is damaged.");
    }
}
