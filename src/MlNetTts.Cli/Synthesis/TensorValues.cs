using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>Copies tensors into managed arrays (TorchSharp's accessor throws on empty tensors).</summary>
internal static class TensorValues
{
    /// <summary>The float32 values of <paramref name="t"/> in row-major order; empty for an empty tensor.</summary>
    public static float[] Floats(Tensor t) =>
        t.numel() == 0 ? [] : t.to(ScalarType.Float32).contiguous().cpu().data<float>().ToArray();

    /// <summary>A 2-D tensor as a [row, column] array.</summary>
    public static float[,] Matrix(Tensor t)
    {
        var values = Floats(t);
        var matrix = new float[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(values, 0, matrix, 0, values.Length * sizeof(float));
        return matrix;
    }
}
