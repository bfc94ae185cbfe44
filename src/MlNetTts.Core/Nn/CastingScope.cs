using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// Our own autocast (TorchSharp 0.107 has none). While a scope is active on a thread, the layers
/// in <see cref="Cast"/> run their matmul/conv/LSTM math in <see cref="DType"/> and return float32.
/// Each weight is cast once per scope — open one scope per forward pass, not per decoder step,
/// because casting weights inside every step throws the gain away. The casts are differentiable, so
/// gradients reach the float32 master weights.
/// </summary>
public sealed class CastingScope : IDisposable
{
    [ThreadStatic] private static CastingScope? _current;

    private readonly CastingScope? _previous;
    private readonly Dictionary<IntPtr, Tensor> _castWeights = new();
    private bool _disposed;

    private CastingScope(ScalarType dtype, CastingScope? previous)
    {
        DType = dtype;
        _previous = previous;
    }

    /// <summary>The innermost active scope on this thread, or null (float32 everywhere).</summary>
    public static CastingScope? Current => _current;

    /// <summary>The reduced type math runs in.</summary>
    public ScalarType DType { get; }

    /// <summary>How many distinct weights this scope has cast so far (a weight is cast once per scope).</summary>
    public int CastCount => _castWeights.Count;

    /// <summary>Starts a scope computing in <paramref name="dtype"/> (float16 or bfloat16) on this thread.</summary>
    public static CastingScope Enter(ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "A casting scope computes in Float16 or BFloat16.");
        return _current = new CastingScope(dtype, _current);
    }

    /// <summary>
    /// <paramref name="weight"/> in <see cref="DType"/>, cast on first use and reused for the rest of the
    /// scope. The cached copy belongs to the scope, not to any dispose scope of the caller.
    /// </summary>
    public Tensor Weight(Tensor weight)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (weight.dtype == DType) return weight;
        if (!_castWeights.TryGetValue(weight.Handle, out var cast))
        {
            cast = weight.to(DType).DetachFromDisposeScope();
            _castWeights[weight.Handle] = cast;
        }
        return cast;
    }

    /// <summary>Ends the scope: frees the cast weights and restores the enclosing scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("Casting scopes must be disposed innermost first, on the thread that opened them.");
        _disposed = true;
        foreach (var cast in _castWeights.Values) cast.Dispose();
        _castWeights.Clear();
        _current = _previous;
    }
}
