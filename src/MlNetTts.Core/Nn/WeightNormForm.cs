namespace MlNetTts.Nn;

/// <summary>
/// Which of PyTorch's three shapes a <see cref="WeightNormConv1d"/> has; they differ in parameter names
/// and in their state_dict order, which a faithful port keeps.
/// </summary>
public enum WeightNormForm
{
    /// <summary>A plain conv that never had weight norm: <c>weight, bias</c>.</summary>
    None,

    /// <summary>Under <c>weight_norm</c>: <c>bias, weight_g, weight_v</c> (weight_norm deletes weight and appends g and v).</summary>
    Applied,

    /// <summary>After <c>remove_weight_norm</c>: <c>bias, weight</c> (the folded weight is appended after bias).</summary>
    Removed,
}
