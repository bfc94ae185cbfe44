using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;

namespace MlNetTts.Speech;

/// <summary>The columns TextToMel appends (mel first, then the optional ones that have names) and how each reads a result.</summary>
internal sealed class TextToMelOutputs
{
    public enum Kind { Mel, Alignment, MelLength, HitMaxDecoderSteps }

    public sealed record Column(string Name, Kind What, DataViewType Type, DataViewSchema.Annotations Annotations);

    public TextToMelOutputs(TextToMelSettings settings)
    {
        var columns = new List<Column>
        {
            new(settings.OutputColumnName, Kind.Mel, new VectorDataViewType(NumberDataViewType.Single), AudioAnnotations.ForMel(settings.MelSettings)),
        };
        if (settings.AlignmentColumnName is { } alignment)
        {
            var builder = new DataViewSchema.Annotations.Builder();
            var mel = settings.OutputColumnName.AsMemory();
            builder.Add(SpeechAnnotations.FramesColumn, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = mel);
            columns.Add(new(alignment, Kind.Alignment, new VectorDataViewType(NumberDataViewType.Single), builder.ToAnnotations()));
        }
        if (settings.MelLengthColumnName is { } length)
            columns.Add(new(length, Kind.MelLength, NumberDataViewType.Int32, DataViewSchema.Annotations.Empty));
        if (settings.HitMaxDecoderStepsColumnName is { } hit)
            columns.Add(new(hit, Kind.HitMaxDecoderSteps, BooleanDataViewType.Instance, DataViewSchema.Annotations.Empty));
        Columns = columns;
        InputColumnName = settings.InputColumnName;
    }

    public IReadOnlyList<Column> Columns { get; }

    public string InputColumnName { get; }

    /// <summary>The text column, checked: it must exist and hold text (ML.NET's string type).</summary>
    public DataViewSchema.Column FindInput(DataViewSchema schema) => FindInput(schema, InputColumnName);

    public static DataViewSchema.Column FindInput(DataViewSchema schema, string name)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"TextToMel: input column '{name}' not found (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(schema), $"TextToMel: column '{name}' must hold text (string); it holds {column.Type}.");
        return column;
    }

    public DataViewSchema OutputSchema(DataViewSchema inputSchema)
    {
        FindInput(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var c in Columns) builder.AddColumn(c.Name, c.Type, c.Annotations);
        return builder.ToSchema();
    }

    /// <summary>Getter of output <paramref name="index"/> over the current result.</summary>
    public Delegate Getter(int index, Func<SynthesizedMel> current) => Columns[index].What switch
    {
        Kind.Mel => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => current().Mel.CopyTo(ref v)),
        Kind.Alignment => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => current().Alignment.CopyTo(ref v)),
        Kind.MelLength => (ValueGetter<int>)((ref int v) => v = current().Frames),
        Kind.HitMaxDecoderSteps => (ValueGetter<bool>)((ref bool v) => v = current().HitMaxDecoderSteps),
        _ => throw new InvalidOperationException($"unknown output kind {Columns[index].What}"),
    };

    public ValueGetter<TValue> TypedGetter<TValue>(DataViewSchema.Column column, int index, Func<SynthesizedMel> current)
    {
        var getter = Getter(index, current);
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }
}
