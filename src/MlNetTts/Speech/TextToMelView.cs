using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Speech;

/// <summary>
/// TextToMel over an <see cref="IDataView"/>: its cursor reads up to BatchSize rows ahead, synthesizes them in one
/// call (<see cref="Tacotron2Synthesizer"/>), then yields them one by one in input order, serving the other columns
/// from values it kept (<see cref="RowValueCache"/>). Tensors live only inside that call, so memory stays flat however
/// many rows are scored. When no output column is requested, the cursor passes the source through untouched.
/// </summary>
internal sealed class TextToMelView : IDataView
{
    private readonly TextToMelOutputs _outputs;
    private readonly Tacotron2Synthesizer _synthesizer;
    private readonly int _batchSize;
    private readonly IDataView _source;
    private readonly DataViewSchema.Column _input;

    public TextToMelView(TextToMelOutputs outputs, Tacotron2Synthesizer synthesizer, int batchSize, IDataView source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _outputs = outputs;
        _synthesizer = synthesizer;
        _batchSize = batchSize;
        _source = source;
        _input = outputs.FindInput(source.Schema);
        Schema = outputs.OutputSchema(source.Schema);
    }

    public bool CanShuffle => _source.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        int sourceCount = _source.Schema.Count;
        var needed = columnsNeeded.ToList();
        var activeOutputs = new bool[_outputs.Columns.Count];
        foreach (var c in needed.Where(c => c.Index >= sourceCount)) activeOutputs[c.Index - sourceCount] = true;
        var sourceColumns = needed.Where(c => c.Index < sourceCount).Select(c => _source.Schema[c.Index]).ToList();
        bool any = activeOutputs.Any(a => a);
        var requested = sourceColumns.ToList();
        if (any && requested.All(c => c.Index != _input.Index)) requested.Add(_input);
        var source = _source.GetRowCursor(requested, rand);
        return any ? new BatchingCursor(this, source, sourceColumns, activeOutputs) : new PassThroughCursor(this, source);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)]; // one cursor: the model batches internally

    private sealed class PassThroughCursor : DataViewRowCursor
    {
        private readonly TextToMelView _view;
        private readonly DataViewRowCursor _source;

        public PassThroughCursor(TextToMelView view, DataViewRowCursor source)
        {
            _view = view;
            _source = source;
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _source.Position;

        public override long Batch => _source.Batch;

        public override bool MoveNext() => _source.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => _source.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _source.Schema.Count && _source.IsColumnActive(_source.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index >= _source.Schema.Count) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            return _source.GetGetter<TValue>(_source.Schema[column.Index]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _source.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class BatchingCursor : DataViewRowCursor
    {
        private readonly TextToMelView _view;
        private readonly DataViewRowCursor _source;
        private readonly bool[] _activeOutputs;
        private readonly bool _withAlignment;
        private readonly Dictionary<int, RowValueCache> _caches = new();
        private readonly ValueGetter<ReadOnlyMemory<char>> _text;
        private readonly ValueGetter<DataViewRowId> _id;
        private readonly List<string> _texts = [];
        private readonly List<DataViewRowId> _ids = [];
        private readonly List<long> _batches = [];
        private SynthesizedMel[] _results = [];
        private int _current = -1;
        private long _position = -1;
        private long _batchCount;
        private bool _done;

        public BatchingCursor(TextToMelView view, DataViewRowCursor source, List<DataViewSchema.Column> sourceColumns, bool[] activeOutputs)
        {
            _view = view;
            _source = source;
            _activeOutputs = activeOutputs;
            _withAlignment = activeOutputs.Select((a, i) => a && view._outputs.Columns[i].What == TextToMelOutputs.Kind.Alignment).Any(a => a);
            foreach (var column in sourceColumns) _caches[column.Index] = RowValueCache.For(source, column);
            _text = source.GetGetter<ReadOnlyMemory<char>>(view._input);
            _id = source.GetIdGetter();
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => _current >= 0 && _current < _batches.Count ? _batches[_current] : 0;

        public override bool MoveNext()
        {
            if (_done) return false;
            if (++_current >= _texts.Count && !Fill())
            {
                _done = true;
                return false;
            }
            _position++;
            return true;
        }

        private bool Fill()
        {
            _texts.Clear();
            _ids.Clear();
            _batches.Clear();
            foreach (var cache in _caches.Values) cache.Clear();
            _current = 0;
            ReadOnlyMemory<char> text = default;
            DataViewRowId id = default;
            while (_texts.Count < _view._batchSize && _source.MoveNext())
            {
                _text(ref text);
                _texts.Add(text.ToString());
                _id(ref id);
                _ids.Add(id);
                _batches.Add(_source.Batch);
                foreach (var cache in _caches.Values) cache.Capture();
            }
            if (_texts.Count == 0) return false;
            _results = _view._synthesizer.Synthesize(_texts, _withAlignment, _batchCount++);
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = _ids[_current];

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _source.Schema.Count ? _caches.ContainsKey(column.Index) : _activeOutputs[column.Index - _source.Schema.Count];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int sourceCount = _source.Schema.Count;
            if (column.Index < sourceCount)
            {
                if (!_caches.TryGetValue(column.Index, out var cache)) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
                return cache.Getter(() => _current) as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}; it cannot be read as {typeof(TValue).Name}.");
            }
            int index = column.Index - sourceCount;
            if (!_activeOutputs[index]) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            return _view._outputs.TypedGetter<TValue>(column, index, () => _results[_current]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _source.Dispose();
            base.Dispose(disposing);
        }
    }
}
