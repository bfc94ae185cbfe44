using static TorchSharp.torch;

namespace MlNetTts.Nn;

/// <summary>How a model computes: all in float32, or with matmul/conv/LSTM math in a 16-bit type.</summary>
public enum Precision
{
    /// <summary>Everything in float32 (the reference's default).</summary>
    Float32,

    /// <summary>Matmul, convolution and LSTM math in float16 on CUDA or bfloat16 on CPU; softmax, norms, losses and master weights stay float32.</summary>
    Mixed,
}

/// <summary>Helpers for <see cref="Precision"/>.</summary>
public static class PrecisionExtensions
{
    /// <summary>The 16-bit type mixed precision uses on a device: float16 on CUDA (tensor cores), bfloat16 elsewhere (oneDNN avx512_bf16 kernels, and no loss scaling needed).</summary>
    public static ScalarType ReducedType(this Device device) =>
        device.type == TorchSharp.DeviceType.CUDA ? ScalarType.Float16 : ScalarType.BFloat16;

    /// <summary>Opens the casting scope that <paramref name="precision"/> calls for on <paramref name="device"/>, or null for float32.</summary>
    public static CastingScope? Enter(this Precision precision, Device device) =>
        precision == Precision.Mixed ? CastingScope.Enter(device.ReducedType()) : null;
}
