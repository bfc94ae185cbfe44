using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Speech;

/// <summary>
/// Keeps the values of one source column for the rows a batching cursor has read ahead, so the column still reads
/// as the current row's value while the source cursor is already further on. Vector values are copied (a source
/// getter may reuse its buffers).
/// </summary>
internal abstract class RowValueCache
{
    public abstract void Capture();

    public abstract void Clear();

    public abstract Delegate Getter(Func<int> current);

    public static RowValueCache For(DataViewRowCursor source, DataViewSchema.Column column)
    {
        var type = column.Type is VectorDataViewType vector
            ? typeof(VectorCache<>).MakeGenericType(vector.ItemType.RawType)
            : typeof(ScalarCache<>).MakeGenericType(column.Type.RawType);
        return (RowValueCache)Activator.CreateInstance(type, source, column)!;
    }

    private sealed class ScalarCache<T> : RowValueCache
    {
        private readonly ValueGetter<T> _get;
        private readonly List<T> _values = [];

        public ScalarCache(DataViewRowCursor source, DataViewSchema.Column column) => _get = source.GetGetter<T>(column);

        public override void Capture()
        {
            T value = default!;
            _get(ref value);
            _values.Add(value);
        }

        public override void Clear() => _values.Clear();

        public override Delegate Getter(Func<int> current) => (ValueGetter<T>)((ref T value) => value = _values[current()]);
    }

    private sealed class VectorCache<T> : RowValueCache
    {
        private readonly ValueGetter<VBuffer<T>> _get;
        private readonly List<VBuffer<T>> _values = [];

        public VectorCache(DataViewRowCursor source, DataViewSchema.Column column) => _get = source.GetGetter<VBuffer<T>>(column);

        public override void Capture()
        {
            VBuffer<T> value = default; // fresh: the getter cannot write into an earlier row's arrays
            _get(ref value);
            _values.Add(value);
        }

        public override void Clear() => _values.Clear();

        public override Delegate Getter(Func<int> current) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[current()].CopyTo(ref value));
    }
}
