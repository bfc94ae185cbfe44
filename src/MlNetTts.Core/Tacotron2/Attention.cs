using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// Location-sensitive attention: energies v·tanh(W_q q + W_loc loc + W_m m), padded encoder steps masked before
/// the softmax, context = weights · memory.
/// </summary>
public sealed class Attention : nn.Module
{
    private readonly LinearNorm query_layer;
    private readonly LinearNorm memory_layer;
    private readonly LinearNorm v;
    private readonly LocationLayer location_layer;

    public Attention(long attentionRnnDim, long embeddingDim, long attentionDim, long locationFilters, long locationKernelSize)
        : base(nameof(Attention))
    {
        query_layer = new LinearNorm(attentionRnnDim, attentionDim, bias: false, gain: nn.init.NonlinearityType.Tanh);
        memory_layer = new LinearNorm(embeddingDim, attentionDim, bias: false, gain: nn.init.NonlinearityType.Tanh);
        v = new LinearNorm(attentionDim, 1, bias: false);
        location_layer = new LocationLayer(locationFilters, locationKernelSize, attentionDim);
        RegisterComponents();
    }

    internal Tensor QueryWeight => query_layer.Weight;
    internal Tensor VWeight => v.Weight;
    internal LocationLayer Location => location_layer;

    /// <summary>memory (B, T_in, E) -> processed memory (B, T_in, attention_dim); computed once per utterance.</summary>
    public Tensor ProcessMemory(Tensor memory) => memory_layer.call(memory);

    /// <summary>
    /// One attention step. <paramref name="mask"/> (B, T_in) is true at padded encoder steps; they get -inf before the
    /// softmax (the lowest finite value when the energies are 16-bit, so a reduced-precision model never makes NaN).
    /// Returns context (B, E) and weights (B, T_in).
    /// </summary>
    public (Tensor Context, Tensor Weights) Step(Tensor query, Tensor memory, Tensor processedMemory, Tensor attentionWeightsCat, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var processedQuery = query_layer.call(query);
        var processedLocation = location_layer.call(attentionWeightsCat);
        if (AttentionContext.Accepts(processedQuery, processedLocation, processedMemory, v.Weight, memory))
        {
            var (fusedContext, fusedWeights) = AttentionContext.Compute(processedQuery, processedLocation, processedMemory, v.Weight, memory, mask);
            return (fusedContext.MoveToOuterDisposeScope(), fusedWeights.MoveToOuterDisposeScope());
        }
        var energies = v.call((processedQuery.unsqueeze(1) + processedLocation + processedMemory).tanh()).squeeze(2);
        if (mask is not null) energies = energies.masked_fill(mask, MaskValue(energies.dtype));
        var weights = energies.softmax(1);
        var context = Cast.Matmul(weights.unsqueeze(1), memory).squeeze(1);
        return (context.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>The score of a masked step: -inf in float32/64 (the reference), the lowest finite value in 16-bit types.</summary>
    internal static double MaskValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        _ => double.NegativeInfinity,
    };
}
