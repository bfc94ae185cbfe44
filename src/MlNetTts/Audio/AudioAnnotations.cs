using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;

namespace MlNetTts.Audio;

/// <summary>
/// Annotation kinds MlNetTts puts on audio columns, so a downstream transform knows what a column holds without
/// being told again: the waveform column carries <see cref="SampleRate"/>; a mel column carries every
/// <see cref="MelSettings"/> field (see <see cref="MelColumn"/> for its layout).
/// </summary>
public static class AudioAnnotations
{
    /// <summary>Int32: samples per second of a waveform column (and of the audio a mel column was computed from).</summary>
    public const string SampleRate = "SampleRate";

    /// <summary>Int32: mel channels per frame of a mel column.</summary>
    public const string MelChannels = "MelChannels";

    /// <summary>Int32: STFT filter (FFT) length of a mel column.</summary>
    public const string FilterLength = "FilterLength";

    /// <summary>Int32: STFT hop length of a mel column.</summary>
    public const string HopLength = "HopLength";

    /// <summary>Int32: STFT window length of a mel column.</summary>
    public const string WinLength = "WinLength";

    /// <summary>Double: lowest mel filter edge (Hz) of a mel column.</summary>
    public const string MelFMin = "MelFMin";

    /// <summary>Double: highest mel filter edge (Hz) of a mel column.</summary>
    public const string MelFMax = "MelFMax";

    /// <summary>The column's <see cref="SampleRate"/> annotation, or null when it has none.</summary>
    public static int? GetSampleRate(DataViewSchema.Column column) => TryGet<int>(column, SampleRate, NumberDataViewType.Int32);

    /// <summary>The mel settings a mel column was computed with, from its annotations; null when it has none.</summary>
    public static MelSettings? GetMelSettings(DataViewSchema.Column column)
    {
        if (TryGet<int>(column, MelChannels, NumberDataViewType.Int32) is not { } channels) return null;
        int Int(string kind) => TryGet<int>(column, kind, NumberDataViewType.Int32)
            ?? throw new InvalidOperationException($"Mel column '{column.Name}' lacks its '{kind}' annotation.");
        double Real(string kind) => TryGet<double>(column, kind, NumberDataViewType.Double)
            ?? throw new InvalidOperationException($"Mel column '{column.Name}' lacks its '{kind}' annotation.");
        return new MelSettings
        {
            MelChannels = channels, SampleRate = Int(SampleRate), FilterLength = Int(FilterLength), HopLength = Int(HopLength),
            WinLength = Int(WinLength), FMin = Real(MelFMin), FMax = Real(MelFMax),
        };
    }

    internal static DataViewSchema.Annotations ForWaveform(int sampleRate)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(SampleRate, NumberDataViewType.Int32, (ref int v) => v = sampleRate);
        return builder.ToAnnotations();
    }

    internal static DataViewSchema.Annotations ForMel(MelSettings s)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(MelChannels, NumberDataViewType.Int32, (ref int v) => v = s.MelChannels);
        builder.Add(SampleRate, NumberDataViewType.Int32, (ref int v) => v = s.SampleRate);
        builder.Add(FilterLength, NumberDataViewType.Int32, (ref int v) => v = s.FilterLength);
        builder.Add(HopLength, NumberDataViewType.Int32, (ref int v) => v = s.HopLength);
        builder.Add(WinLength, NumberDataViewType.Int32, (ref int v) => v = s.WinLength);
        builder.Add(MelFMin, NumberDataViewType.Double, (ref double v) => v = s.FMin);
        builder.Add(MelFMax, NumberDataViewType.Double, (ref double v) => v = s.FMax);
        return builder.ToAnnotations();
    }

    internal static SchemaShape WaveformShape() => new(new[]
    {
        new SchemaShape.Column(SampleRate, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false),
    });

    internal static SchemaShape MelShape() => new(new[]
    {
        new SchemaShape.Column(MelChannels, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false),
        new SchemaShape.Column(SampleRate, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false),
        new SchemaShape.Column(FilterLength, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false),
        new SchemaShape.Column(HopLength, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false),
        new SchemaShape.Column(WinLength, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false),
        new SchemaShape.Column(MelFMin, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Double, false),
        new SchemaShape.Column(MelFMax, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Double, false),
    });

    private static T? TryGet<T>(DataViewSchema.Column column, string kind, DataViewType type) where T : struct
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(kind);
        if (annotation is null || !annotation.Value.Type.Equals(type)) return null;
        T value = default;
        column.Annotations.GetValue(kind, ref value);
        return value;
    }
}
