using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// WaveNet's gate <c>tanh(a[:, :C]) * sigmoid(a[:, C:])</c> at inference on CPU, float32 or bfloat16, as one pass
/// over cache-sized chunks on all threads. libtorch runs it as three full passes over (C, T) (tanh_, sigmoid_, mul_;
/// 3.0 ms per WN layer in float32 and 1.8 in bfloat16 on a 200-frame mel, 96 layers per inference: ~7% of a
/// WaveGlow 256 inference). bfloat16 values are widened exactly and the products rounded to nearest even, as
/// libtorch rounds.
/// </summary>
internal static unsafe class GatedActivation
{
    private const int Chunk = 1024;

    /// <summary>Off: WaveNet.Infer uses libtorch's ops (tests and benchmarks compare both).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether <see cref="Apply"/> takes <paramref name="a"/>: CPU, float32 or bfloat16, contiguous (B, 2C, T).</summary>
    public static bool Accepts(Tensor a) =>
        Enabled && a.device_type == TorchSharp.DeviceType.CPU && a.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && a.dim() == 3 && a.shape[1] % 2 == 0 && a.is_contiguous();

    /// <summary>a (B, 2C, T) -> tanh(a[:, :C]) * sigmoid(a[:, C:]) as a new (B, C, T) tensor of a's type.</summary>
    public static Tensor Apply(Tensor a, int threads)
    {
        if (!Accepts(a)) throw new ArgumentException($"GatedActivation needs a contiguous CPU float32 or bfloat16 (B, 2C, T) tensor; got {a.dtype} [{string.Join(", ", a.shape)}].", nameof(a));
        long batch = a.shape[0], channels = a.shape[1] / 2, steps = a.shape[2];
        var output = empty(new[] { batch, channels, steps }, a.dtype);
        bool bf16 = a.dtype == ScalarType.BFloat16;
        nint input = TensorMemory.Address(a), result = TensorMemory.Address(output);
        long rows = batch * channels;
        int parts = (int)Math.Clamp(Math.Min(threads, rows * steps / (64 * Chunk)), 1, rows);
        long perPart = (rows + parts - 1) / parts;
        KernelWorkers.Run(parts, part =>
        {
            long from = Math.Min(rows, part * perPart), to = Math.Min(rows, from + perPart);
            for (long row = from; row < to; row++)
            {
                long b = row / channels, c = row % channels;
                long lo = (b * 2 * channels + c) * steps, hi = lo + channels * steps, dst = row * steps;
                if (bf16) RowBFloat16((ushort*)input + lo, (ushort*)input + hi, (ushort*)result + dst, steps);
                else RowFloat32((float*)input + lo, (float*)input + hi, (float*)result + dst, steps);
            }
        });
        return output;
    }


    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowFloat32(float* lo, float* hi, float* dst, long steps)
    {
        Span<float> gate = stackalloc float[Chunk];
        for (long t = 0; t < steps; t += Chunk)
        {
            int n = (int)Math.Min(Chunk, steps - t);
            var output = new Span<float>(dst + t, n);
            TensorPrimitives.Tanh(new ReadOnlySpan<float>(lo + t, n), output);
            TensorPrimitives.Sigmoid(new ReadOnlySpan<float>(hi + t, n), gate[..n]);
            TensorPrimitives.Multiply(output, gate[..n], output);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowBFloat16(ushort* lo, ushort* hi, ushort* dst, long steps)
    {
        Span<float> filter = stackalloc float[Chunk];
        Span<float> gate = stackalloc float[Chunk];
        for (long t = 0; t < steps; t += Chunk)
        {
            int n = (int)Math.Min(Chunk, steps - t);
            Widen(lo + t, filter[..n]);
            Widen(hi + t, gate[..n]);
            TensorPrimitives.Tanh(filter[..n], filter[..n]);
            TensorPrimitives.Sigmoid(gate[..n], gate[..n]);
            TensorPrimitives.Multiply(filter[..n], gate[..n], filter[..n]);
            Narrow(filter[..n], dst + t);
        }
    }

    /// <summary>bfloat16 -> float32 exactly (the 16 bits become the high half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen(ushort* source, Span<float> destination)
    {
        int i = 0;
        fixed (float* d = destination)
        {
            for (; i + 16 <= destination.Length; i += 16)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Load(source + i));
                Vector512.ShiftLeft(Vector512.Create(lower, upper), 16).AsSingle().Store(d + i);
            }
            for (; i < destination.Length; i++) d[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
        }
    }

    /// <summary>float32 -> bfloat16, rounded to nearest even (NaN stays a quiet NaN), as libtorch's conversion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow(Span<float> source, ushort* destination)
    {
        int i = 0;
        fixed (float* s = source)
        {
            var one = Vector512.Create(1u);
            var half = Vector512.Create(0x7FFFu);
            var quietNaN = Vector512.Create(0x7FC00000u);
            for (; i + 32 <= source.Length; i += 32)
            {
                var a = Vector512.Load(s + i);
                var b = Vector512.Load(s + i + 16);
                var ra = RoundedHigh(a, one, half, quietNaN);
                var rb = RoundedHigh(b, one, half, quietNaN);
                Vector512.Narrow(ra, rb).Store(destination + i);
            }
            for (; i < source.Length; i++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(s[i]);
                destination[i] = float.IsNaN(s[i]) ? (ushort)0x7FC0 : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> RoundedHigh(Vector512<float> v, Vector512<uint> one, Vector512<uint> half, Vector512<uint> quietNaN)
    {
        var bits = v.AsUInt32();
        var rounded = bits + half + (Vector512.ShiftRightLogical(bits, 16) & one);
        var isNumber = Vector512.Equals(v, v).AsUInt32();
        return Vector512.ShiftRightLogical(Vector512.ConditionalSelect(isNumber, rounded, quietNaN), 16);
    }
}
