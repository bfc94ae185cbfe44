using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Speech;

/// <summary>
/// TextToMel one row at a time (what PredictionEngine uses): the row's outputs are synthesized once per input
/// position (batch of one) and shared by all output columns of that row.
/// </summary>
internal sealed class TextToMelRowMapper : IRowToRowMapper
{
    private readonly TextToMelOutputs _outputs;
    private readonly Tacotron2Synthesizer _synthesizer;
    private readonly DataViewSchema.Column _input;

    public TextToMelRowMapper(TextToMelOutputs outputs, Tacotron2Synthesizer synthesizer, DataViewSchema inputSchema)
    {
        _outputs = outputs;
        _synthesizer = synthesizer;
        InputSchema = inputSchema;
        _input = outputs.FindInput(inputSchema);
        OutputSchema = outputs.OutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        int count = InputSchema.Count;
        var needed = dependingColumns.ToList();
        var result = needed.Where(c => c.Index < count).Select(c => InputSchema[c.Index]).ToList();
        if (needed.Any(c => c.Index >= count) && result.All(c => c.Index != _input.Index)) result.Add(_input);
        return result;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        var active = new bool[_outputs.Columns.Count];
        foreach (var c in activeColumns.Where(c => c.Index >= InputSchema.Count)) active[c.Index - InputSchema.Count] = true;
        return new Row(this, input, active);
    }

    private sealed class Row : DataViewRow
    {
        private readonly TextToMelRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly bool[] _active;
        private readonly bool _withAlignment;
        private ValueGetter<ReadOnlyMemory<char>>? _text;
        private SynthesizedMel? _cached;
        private long _cachedPosition = -1;

        public Row(TextToMelRowMapper mapper, DataViewRow input, bool[] active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
            _withAlignment = active.Select((a, i) => a && mapper._outputs.Columns[i].What == TextToMelOutputs.Kind.Alignment).Any(a => a);
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _input.Schema.Count ? _input.IsColumnActive(_input.Schema[column.Index]) : _active[column.Index - _input.Schema.Count];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int count = _input.Schema.Count;
            if (column.Index < count) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            return _mapper._outputs.TypedGetter<TValue>(column, column.Index - count, Current);
        }

        // Once per input position (PredictionEngine advances it per call); a row without a position computes every time.
        private SynthesizedMel Current()
        {
            if (_cached is not null && _input.Position >= 0 && _input.Position == _cachedPosition) return _cached;
            _text ??= _input.GetGetter<ReadOnlyMemory<char>>(_mapper._input);
            ReadOnlyMemory<char> text = default;
            _text(ref text);
            _cached = _mapper._synthesizer.Synthesize([text.ToString()], _withAlignment, seedOffset: 0)[0];
            _cachedPosition = _input.Position;
            return _cached;
        }
    }
}
