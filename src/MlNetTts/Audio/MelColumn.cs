using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetTts.Audio;

/// <summary>
/// The one layout of mel-spectrogram columns in MlNetTts (ExtractMel writes it; TextToMel and MelToAudio read and
/// write it): a variable-length <c>VBuffer&lt;float&gt;</c>, frames-major — frame t's MelChannels log-mel values
/// are contiguous at [t * MelChannels, (t + 1) * MelChannels) — so a row's length is frames * MelChannels.
/// The column's annotations (<see cref="AudioAnnotations"/>) carry MelChannels and the STFT/mel parameters.
/// </summary>
/// <remarks>
/// Why frames-major: frames are the time axis every consumer walks (decoder steps, vocoder upsampling,
/// truncation, concatenation), and appending or slicing frames stays one contiguous copy; a frame-wise view is
/// also what ML.NET users get when they reshape the vector. Tensors on the model side are (MelChannels, frames)
/// as NVIDIA's code has them: <see cref="ToTensor"/> and <see cref="FromTensor"/> do the one transpose.
/// </remarks>
public static class MelColumn
{
    /// <summary>Frames in a mel row of <paramref name="length"/> values.</summary>
    public static int FrameCount(int length, int melChannels)
    {
        if (melChannels <= 0) throw new ArgumentOutOfRangeException(nameof(melChannels), melChannels, "must be positive.");
        if (length % melChannels != 0)
            throw new ArgumentException($"a mel row of {length} values is not a whole number of {melChannels}-channel frames.", nameof(length));
        return length / melChannels;
    }

    /// <summary>A mel row as a (MelChannels, frames) float32 tensor (the reference's layout), owned by the caller's dispose scope.</summary>
    public static Tensor ToTensor(in VBuffer<float> row, int melChannels)
    {
        int frames = FrameCount(row.Length, melChannels);
        var values = row.IsDense ? row.GetValues().ToArray() : row.DenseValues().ToArray();
        using var framesMajor = tensor(values, new long[] { frames, melChannels });
        return framesMajor.t().contiguous();
    }

    /// <summary>Writes a (MelChannels, frames) tensor into <paramref name="row"/> in the frames-major layout.</summary>
    public static void FromTensor(Tensor mel, ref VBuffer<float> row)
    {
        ArgumentNullException.ThrowIfNull(mel);
        if (mel.dim() != 2) throw new ArgumentException($"mel must be (channels, frames); got [{string.Join(", ", mel.shape)}].", nameof(mel));
        using var framesMajor = mel.detach().cpu().to(ScalarType.Float32).t().contiguous();
        var data = framesMajor.data<float>();
        var editor = VBufferEditor.Create(ref row, (int)data.Count);
        data.CopyTo(editor.Values);
        row = editor.Commit();
    }
}
