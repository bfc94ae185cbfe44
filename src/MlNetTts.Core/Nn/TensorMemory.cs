using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>Raw access to a contiguous CPU tensor's storage for the C# kernels.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>The address of a contiguous CPU tensor's first element (valid while the tensor lives).</summary>
    public static nint Address(Tensor t) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>A contiguous float32 CPU tensor's storage as floats.</summary>
    public static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
