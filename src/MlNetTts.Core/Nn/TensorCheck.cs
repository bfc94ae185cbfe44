using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>
/// Argument checks for tensors, run before any TorchSharp call: some wrong inputs (a bf16 x fp32 matmul) abort the
/// whole process inside libtorch instead of throwing. Each check throws an <see cref="ArgumentException"/> naming the
/// argument and what was expected.
/// </summary>
internal static class TensorCheck
{
    public static string Describe(Tensor t) => $"{t.dtype} [{string.Join(", ", t.shape)}] on {t.device}";

    /// <summary>A floating-point tensor.</summary>
    public static void Floating(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (!is_floating_point(t))
            throw new ArgumentException($"{name} must be a floating-point tensor; got {Describe(t)}.", name);
    }

    /// <summary>Float32 or float64 (what the STFT computes exactly; 16-bit conv1d is wrong on CPU in libtorch 2.10).</summary>
    public static void Float32Or64(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"{name} must be float32 or float64 (convert 16-bit tensors first); got {Describe(t)}.", name);
    }

    /// <summary>An integer tensor (lengths, ids).</summary>
    public static void Integer(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (is_floating_point(t) || is_complex(t) || t.dtype == ScalarType.Bool)
            throw new ArgumentException($"{name} must be an integer tensor; got {Describe(t)}.", name);
    }

    /// <summary>Exactly <paramref name="dtype"/>, e.g. the model's parameter type.</summary>
    public static void DType(Tensor t, ScalarType dtype, string name, string why)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.dtype != dtype) throw new ArgumentException($"{name} must be {dtype} ({why}); got {Describe(t)}.", name);
    }

    /// <summary>On <paramref name="device"/>.</summary>
    public static void OnDevice(Tensor t, Device device, string name, string why)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.device_type != device.type || t.device_index != device.index && !(t.device_type == TorchSharp.DeviceType.CPU))
            throw new ArgumentException($"{name} must be on {device} ({why}); got {Describe(t)}.", name);
    }
}
