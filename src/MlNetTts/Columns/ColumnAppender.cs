using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Columns;

/// <summary>Computes one output value from one input value; called once per row (per cursor position).</summary>
internal delegate void RowMapping<TIn>(in TIn input, ref VBuffer<float> output);

/// <summary>
/// The machinery every MlNetTts transformer that adds one float-vector column computed from one input column
/// shares: output schema, a lazy <see cref="IDataView"/> over the input and an <see cref="IRowToRowMapper"/>
/// (what PredictionEngine uses).
/// </summary>
/// <remarks>
/// Why our own and not ML.NET's OneToOneTransformerBase/RowToRowMapperTransform: those are internal with
/// private-protected virtual members, which the publicized compile-time copies cannot make overridable, and
/// deriving from ML.NET internals ties us to their layout. ITransformer, IDataView, DataViewRowCursor and
/// IRowToRowMapper are ML.NET's public contracts; implementing them directly keeps the plug-in on them.
/// The output column is appended after all input columns (indices of the input columns are unchanged); a
/// same-named input column is hidden, as ML.NET does.
/// </remarks>
internal sealed class ColumnAppender<TIn>
{
    private readonly Func<DataViewSchema.Column, DataViewSchema.Annotations> _describe;
    private readonly Func<DataViewSchema.Column, RowMapping<TIn>> _newMapping;

    /// <param name="outputColumnName">Name of the added column.</param>
    /// <param name="inputColumnName">Name of the column it is computed from.</param>
    /// <param name="outputType">Type of the added column.</param>
    /// <param name="checkInput">Throws (naming the column) when the input column's type or annotations do not fit.</param>
    /// <param name="describe">The added column's annotations, given the input column.</param>
    /// <param name="newMapping">A fresh mapping per cursor or row (mappings may keep per-cursor buffers).</param>
    public ColumnAppender(string outputColumnName, string inputColumnName, DataViewType outputType,
        Action<DataViewSchema.Column> checkInput, Func<DataViewSchema.Column, DataViewSchema.Annotations> describe, Func<RowMapping<TIn>> newMapping)
        : this(outputColumnName, inputColumnName, outputType, checkInput, describe, _ => newMapping())
    {
    }

    /// <summary>As the other constructor, with mappings that depend on the input column (its annotations, e.g. mel settings).</summary>
    public ColumnAppender(string outputColumnName, string inputColumnName, DataViewType outputType,
        Action<DataViewSchema.Column> checkInput, Func<DataViewSchema.Column, DataViewSchema.Annotations> describe,
        Func<DataViewSchema.Column, RowMapping<TIn>> newMapping)
    {
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        OutputType = outputType;
        CheckInput = checkInput;
        _describe = describe;
        _newMapping = newMapping;
    }

    public string OutputColumnName { get; }

    public string InputColumnName { get; }

    public DataViewType OutputType { get; }

    public Action<DataViewSchema.Column> CheckInput { get; }

    /// <summary>The input column, checked; throws <see cref="ArgumentOutOfRangeException"/> naming it when missing.</summary>
    public DataViewSchema.Column FindInput(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var column = inputSchema.GetColumnOrNull(InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{InputColumnName}' not found (columns: {string.Join(", ", inputSchema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        CheckInput(column);
        return column;
    }

    public DataViewSchema OutputSchema(DataViewSchema inputSchema)
    {
        var input = FindInput(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(OutputColumnName, OutputType, _describe(input));
        return builder.ToSchema();
    }

    public IDataView Transform(IDataView input) => new View(this, input);

    public IRowToRowMapper RowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    /// <summary>
    /// Getter of the added column over a row of the input. Over a cursor (<paramref name="cachePerPosition"/>) it
    /// computes once per position; over a mapped row (PredictionEngine reuses one row object) on every call.
    /// </summary>
    private ValueGetter<VBuffer<float>> OutputGetter(DataViewRow input, DataViewSchema.Column inputColumn, bool cachePerPosition)
    {
        var read = input.GetGetter<TIn>(inputColumn);
        var map = _newMapping(inputColumn);
        TIn value = default!;
        var cached = default(VBuffer<float>);
        long cachedPosition = -1;
        return (ref VBuffer<float> output) =>
        {
            if (!cachePerPosition || cachedPosition != input.Position || input.Position < 0)
            {
                read(ref value);
                map(in value, ref cached);
                cachedPosition = input.Position;
            }
            cached.CopyTo(ref output);
        };
    }

    private sealed class View : IDataView
    {
        private readonly ColumnAppender<TIn> _appender;
        private readonly IDataView _source;
        private readonly DataViewSchema.Column _input;

        public View(ColumnAppender<TIn> appender, IDataView source)
        {
            ArgumentNullException.ThrowIfNull(source);
            _appender = appender;
            _source = source;
            _input = appender.FindInput(source.Schema);
            Schema = appender.OutputSchema(source.Schema);
        }

        public bool CanShuffle => _source.CanShuffle;

        public DataViewSchema Schema { get; }

        public long? GetRowCount() => _source.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var (sourceColumns, outputActive) = Split(columnsNeeded);
            return new Cursor(this, _source.GetRowCursor(sourceColumns, rand), outputActive);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)]; // one cursor: the mapping is heavy and batched internally

        private (List<DataViewSchema.Column> Source, bool OutputActive) Split(IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            int sourceCount = _source.Schema.Count;
            var needed = columnsNeeded.ToList();
            bool outputActive = needed.Any(c => c.Index == sourceCount);
            var sourceColumns = needed.Where(c => c.Index < sourceCount).Select(c => _source.Schema[c.Index]).ToList();
            if (outputActive && sourceColumns.All(c => c.Index != _input.Index)) sourceColumns.Add(_input);
            return (sourceColumns, outputActive);
        }

        private sealed class Cursor : DataViewRowCursor
        {
            private readonly View _view;
            private readonly DataViewRowCursor _source;
            private readonly bool _outputActive;

            public Cursor(View view, DataViewRowCursor source, bool outputActive)
            {
                _view = view;
                _source = source;
                _outputActive = outputActive;
            }

            public override DataViewSchema Schema => _view.Schema;

            public override long Position => _source.Position;

            public override long Batch => _source.Batch;

            public override bool MoveNext() => _source.MoveNext();

            public override ValueGetter<DataViewRowId> GetIdGetter() => _source.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) =>
                column.Index < _source.Schema.Count ? _source.IsColumnActive(_source.Schema[column.Index]) : _outputActive;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index < _source.Schema.Count) return _source.GetGetter<TValue>(_source.Schema[column.Index]);
                if (!_outputActive) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
                if (typeof(TValue) != typeof(VBuffer<float>))
                    throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<float>, not {typeof(TValue).Name}.");
                return (ValueGetter<TValue>)(Delegate)_view._appender.OutputGetter(_source, _view._input, cachePerPosition: true);
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) _source.Dispose();
                base.Dispose(disposing);
            }
        }
    }

    private sealed class Mapper : IRowToRowMapper
    {
        private readonly ColumnAppender<TIn> _appender;
        private readonly DataViewSchema.Column _input;

        public Mapper(ColumnAppender<TIn> appender, DataViewSchema inputSchema)
        {
            _appender = appender;
            InputSchema = inputSchema;
            _input = appender.FindInput(inputSchema);
            OutputSchema = appender.OutputSchema(inputSchema);
        }

        public DataViewSchema InputSchema { get; }

        public DataViewSchema OutputSchema { get; }

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        {
            int count = InputSchema.Count;
            var needed = dependingColumns.ToList();
            var result = needed.Where(c => c.Index < count).Select(c => InputSchema[c.Index]).ToList();
            if (needed.Any(c => c.Index == count) && result.All(c => c.Index != _input.Index)) result.Add(_input);
            return result;
        }

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            bool outputActive = activeColumns.Any(c => c.Index == InputSchema.Count);
            return new Row(this, input, outputActive);
        }

        private sealed class Row : DataViewRow
        {
            private readonly Mapper _mapper;
            private readonly DataViewRow _input;
            private readonly bool _outputActive;

            public Row(Mapper mapper, DataViewRow input, bool outputActive)
            {
                _mapper = mapper;
                _input = input;
                _outputActive = outputActive;
            }

            public override DataViewSchema Schema => _mapper.OutputSchema;

            public override long Position => _input.Position;

            public override long Batch => _input.Batch;

            public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) =>
                column.Index < _input.Schema.Count ? _input.IsColumnActive(_input.Schema[column.Index]) : _outputActive;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index < _input.Schema.Count) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
                if (typeof(TValue) != typeof(VBuffer<float>))
                    throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<float>, not {typeof(TValue).Name}.");
                return (ValueGetter<TValue>)(Delegate)_mapper._appender.OutputGetter(_input, _mapper._input, cachePerPosition: false);
            }
        }
    }
}
