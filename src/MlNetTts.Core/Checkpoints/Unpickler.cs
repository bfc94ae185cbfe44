using System.Globalization;
using System.Numerics;

namespace MlNetTts.Checkpoints;

/// <summary>
/// A deliberately small unpickler for what <c>torch.save</c> writes (protocols 2-5). It builds plain values only:
/// dict/OrderedDict -> <see cref="Dictionary{TKey,TValue}"/> of string keys, list -> <see cref="List{T}"/>,
/// tuple -> object?[], int -> long (or <see cref="BigInteger"/> beyond 64 bits), float -> double, str -> string,
/// bytes -> byte[], set/frozenset -> <see cref="HashSet{T}"/>, None -> null. Globals are never looked up as code:
/// <see cref="PickleGlobal.Resolve"/> recognises an allow-list and everything else is refused by name. Unknown or
/// unsupported opcodes are errors. Every length is checked against the bytes left before allocating, and the
/// stack and memo can only grow by one entry per opcode, so their size is bounded by the file's.
/// </summary>
internal sealed class Unpickler
{
    private const int HighestProtocol = 5;

    private readonly PickleInput _input;
    private readonly Func<object?[], object?>? _persistentLoad;
    private readonly Func<StorageRef, long, long[], long[], object> _rebuildTensor;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private long _opcodeAt;

    /// <param name="persistentLoad">Resolves a persistent id (a tuple); null where none may occur.</param>
    /// <param name="rebuildTensor">Records a tensor view (storage, offset, size, stride) and returns what stands for it.</param>
    public Unpickler(PickleInput input, Func<object?[], object?>? persistentLoad, Func<StorageRef, long, long[], long[], object> rebuildTensor)
    {
        _input = input;
        _persistentLoad = persistentLoad;
        _rebuildTensor = rebuildTensor;
    }

    /// <summary>Reads one pickle, up to and including its STOP opcode, and returns its value.</summary>
    public object? Load()
    {
        while (true)
        {
            _opcodeAt = _input.Position;
            byte op = _input.ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                {
                    byte protocol = _input.ReadByte();
                    if (protocol > HighestProtocol) throw Error($"pickle protocol {protocol} is not supported (2 to {HighestProtocol} are)");
                    break;
                }
                case 0x95: _input.ReadInt64(); break; // FRAME: a length hint only
                case (byte)'.': // STOP
                    if (_marks.Count != 0) throw Error("STOP inside an open MARK");
                    if (_stack.Count != 1) throw Error($"STOP with {_stack.Count} values on the stack (expected 1)");
                    return _stack[0];

                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP

                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'J': Push((long)_input.ReadInt32()); break; // BININT
                case (byte)'K': Push((long)_input.ReadByte()); break; // BININT1
                case (byte)'M': Push((long)_input.ReadUInt16()); break; // BININT2
                case 0x8a: Push(ReadLong(_input.ReadByte())); break; // LONG1
                case 0x8b: // LONG4
                {
                    int n = _input.ReadInt32();
                    if (n < 0) throw Error("LONG4 with a negative length");
                    Push(ReadLong(n));
                    break;
                }
                case (byte)'I': Push(ParseTextInt(_input.ReadLine())); break; // INT
                case (byte)'L': Push(ParseTextLong(_input.ReadLine())); break; // LONG
                case (byte)'F': Push(ParseTextFloat(_input.ReadLine())); break; // FLOAT
                case (byte)'G': Push(_input.ReadBigEndianDouble()); break; // BINFLOAT

                case (byte)'X': Push(_input.Utf8(_input.ReadBytes(_input.ReadUInt32()))); break; // BINUNICODE
                case 0x8c: Push(_input.Utf8(_input.ReadBytes(_input.ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(_input.Utf8(_input.ReadBytes(_input.ReadInt64()))); break; // BINUNICODE8
                // Python 2 str: torch.load decodes these as UTF-8 (its default encoding argument).
                case (byte)'T': Push(_input.Utf8(_input.ReadBytes(_input.ReadInt32()))); break; // BINSTRING
                case (byte)'U': Push(_input.Utf8(_input.ReadBytes(_input.ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'B': Push(_input.ReadBytes(_input.ReadUInt32())); break; // BINBYTES
                case (byte)'C': Push(_input.ReadBytes(_input.ReadByte())); break; // SHORT_BINBYTES
                case 0x8e: Push(_input.ReadBytes(_input.ReadInt64())); break; // BINBYTES8
                case 0x96: Push(_input.ReadBytes(_input.ReadInt64())); break; // BYTEARRAY8

                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)'l': Push(new List<object?>(PopMark())); break; // LIST
                case (byte)'a': // APPEND
                {
                    var item = Pop();
                    AsList(Peek(), "APPEND").Add(item);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopMark();
                    AsList(Peek(), "APPENDS").AddRange(items);
                    break;
                }
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': Push(PopMark()); break; // TUPLE
                case 0x85: { var a = Pop(); Push(new[] { a }); break; } // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3

                case (byte)'}': Push(NewDict()); break; // EMPTY_DICT
                case (byte)'d': // DICT
                {
                    var items = PopMark();
                    var dict = NewDict();
                    SetItems(dict, items);
                    Push(dict);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    AsDict(Peek(), "SETITEM")[DictKey(key)] = value;
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    SetItems(AsDict(Peek(), "SETITEMS"), items);
                    break;
                }
                case 0x8f: Push(new HashSet<object?>()); break; // EMPTY_SET
                case 0x90: // ADDITEMS
                {
                    var items = PopMark();
                    if (Peek() is not HashSet<object?> set) throw Error("ADDITEMS on something that is not a set");
                    foreach (var item in items) set.Add(SetItem(item));
                    break;
                }
                case 0x91: Push(NewSet(PopMark())); break; // FROZENSET

                case (byte)'p': Memoize(ParseMemoIndex(_input.ReadLine())); break; // PUT
                case (byte)'q': Memoize(_input.ReadByte()); break; // BINPUT
                case (byte)'r': Memoize(_input.ReadUInt32()); break; // LONG_BINPUT
                case 0x94: Memoize(_memo.Count); break; // MEMOIZE
                case (byte)'g': Push(Recall(ParseMemoIndex(_input.ReadLine()))); break; // GET
                case (byte)'h': Push(Recall(_input.ReadByte())); break; // BINGET
                case (byte)'j': Push(Recall(_input.ReadUInt32())); break; // LONG_BINGET

                case (byte)'c': // GLOBAL
                {
                    var module = _input.ReadLine();
                    var name = _input.ReadLine();
                    Push(Global(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Error("STACK_GLOBAL needs two strings");
                    Push(Global(m, n));
                    break;
                }
                case (byte)'i': // INST: protocol 0/1 class instantiation, named inline
                {
                    var global = Global(_input.ReadLine(), _input.ReadLine());
                    Push(Call(global, PopMark()));
                    break;
                }
                case (byte)'o': // OBJ
                {
                    var items = PopMark();
                    if (items.Length == 0 || items[0] is not PickleGlobal global) throw Error("OBJ without an allowed class");
                    Push(Call(global, items[1..]));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var args = Pop();
                    var callable = Pop();
                    if (callable is not PickleGlobal global) throw Error($"REDUCE of {Describe(callable)}, which is not callable");
                    if (args is not object?[] tuple) throw Error($"REDUCE of {global.FullName} with {Describe(args)} as arguments (expected a tuple)");
                    Push(Call(global, tuple));
                    break;
                }
                case 0x81: // NEWOBJ
                {
                    var args = Pop();
                    var cls = Pop();
                    Push(New(cls, args, null));
                    break;
                }
                case 0x92: // NEWOBJ_EX
                {
                    var kwargs = Pop();
                    var args = Pop();
                    var cls = Pop();
                    Push(New(cls, args, kwargs));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    var target = Peek();
                    // OrderedDict instance attributes (state_dict's _metadata) and tensor attributes carry nothing
                    // we use; BUILD on anything else would mean an object we do not construct.
                    if (target is not (Dictionary<string, object?> or TensorPlaceholder))
                        throw Error($"BUILD on {Describe(target)} is not supported");
                    if (state is not (null or Dictionary<string, object?> or object?[]))
                        throw Error($"BUILD with {Describe(state)} as state is not supported");
                    break;
                }
                case (byte)'Q': // BINPERSID
                {
                    var pid = Pop();
                    if (_persistentLoad is null) throw Error("a persistent id where none may occur");
                    if (pid is not object?[] tuple) throw Error($"a persistent id that is {Describe(pid)} (expected a tuple)");
                    Push(_persistentLoad(tuple));
                    break;
                }
                case (byte)'P': throw Error("text persistent ids (PERSID, protocol 0) are not supported");
                case (byte)'S' or (byte)'V': throw Error($"protocol 0 text strings (opcode '{(char)op}') are not supported");
                case 0x82 or 0x83 or 0x84: throw Error("extension registry opcodes (EXT1/EXT2/EXT4) are not supported");
                case 0x97 or 0x98: throw Error("out-of-band buffers (protocol 5 NEXT_BUFFER/READONLY_BUFFER) are not supported");
                default:
                    throw Error($"unknown pickle opcode 0x{op:x2}");
            }
        }
    }

    private CheckpointFormatException Error(string problem) => _input.Error($"{problem} (pickle opcode at byte {_opcodeAt})");

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Error("pickle stack underflow");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Error("pickle stack underflow");
        return _stack[^1];
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw Error("no MARK to pop to");
        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Memoize(long index)
    {
        if (index < 0) throw Error("negative memo index");
        _memo[index] = Peek();
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} is read before it is written");

    private object ReadLong(int byteCount)
    {
        var bytes = _input.ReadBytes(byteCount);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private object ParseTextInt(string line)
    {
        if (line == "00") return false;
        if (line == "01") return true;
        return ParseTextLong(line);
    }

    private object ParseTextLong(string line)
    {
        var digits = line.EndsWith('L') ? line[..^1] : line;
        if (digits.Length > 10_000 || !BigInteger.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw Error($"'{Shorten(line)}' is not an integer");
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private double ParseTextFloat(string line) =>
        double.TryParse(line, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : line switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, _ => throw Error($"'{Shorten(line)}' is not a float") };

    private long ParseMemoIndex(string line) =>
        long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : throw Error($"'{Shorten(line)}' is not a memo index");

    private PickleGlobal Global(string module, string name) =>
        PickleGlobal.Resolve(module, name) ?? throw new ForbiddenGlobalException(_input.FilePath, module, name);

    private static Dictionary<string, object?> NewDict() => new(StringComparer.Ordinal);

    private List<object?> AsList(object? target, string opcode) =>
        target as List<object?> ?? throw Error($"{opcode} on {Describe(target)} (expected a list)");

    private Dictionary<string, object?> AsDict(object? target, string opcode) =>
        target as Dictionary<string, object?> ?? throw Error($"{opcode} on {Describe(target)} (expected a dict)");

    private void SetItems(Dictionary<string, object?> dict, object?[] items)
    {
        if (items.Length % 2 != 0) throw Error("an odd number of items for a dict");
        for (int i = 0; i < items.Length; i += 2) dict[DictKey(items[i])] = items[i + 1];
    }

    /// <summary>
    /// Dict keys become strings: str as is; int (optimizer state is keyed by parameter index), bool and None as
    /// Python's str() writes them. Other key types are refused.
    /// </summary>
    private string DictKey(object? key) => key switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        null => "None",
        _ => throw Error($"a dict key that is {Describe(key)} (only str, int, bool and None keys are supported)"),
    };

    private object? SetItem(object? item) => item switch
    {
        null or string or long or BigInteger or bool or double or PickleGlobal => item,
        object?[] => item, // tuples: reference identity, as nothing here compares them
        _ => throw Error($"a set member that is {Describe(item)}"),
    };

    private HashSet<object?> NewSet(IEnumerable<object?> items)
    {
        var set = new HashSet<object?>();
        foreach (var item in items) set.Add(SetItem(item));
        return set;
    }

    private object? New(object? cls, object? args, object? kwargs)
    {
        if (cls is not PickleGlobal global || global.Kind is not (PickleGlobalKind.OrderedDict or PickleGlobalKind.Set or PickleGlobalKind.Size))
            throw Error($"NEWOBJ of {Describe(cls)} is not supported");
        if (args is not object?[] tuple) throw Error($"NEWOBJ of {global.FullName} with {Describe(args)} as arguments");
        if (kwargs is not null && (kwargs is not Dictionary<string, object?> d || d.Count != 0))
            throw Error($"NEWOBJ_EX of {global.FullName} with keyword arguments");
        return Call(global, tuple);
    }

    /// <summary>What calling an allow-listed global with <paramref name="args"/> means here; nothing runs.</summary>
    private object? Call(PickleGlobal global, object?[] args)
    {
        switch (global.Kind)
        {
            case PickleGlobalKind.RebuildTensorV2 when args.Length is 6 or 7:
            case PickleGlobalKind.RebuildTensor when args.Length == 4:
            {
                if (args[0] is not StorageRef storage) throw Error($"{global.FullName} without a storage (got {Describe(args[0])})");
                if (args[1] is not long offset) throw Error($"{global.FullName} with a storage offset that is {Describe(args[1])}");
                var size = Longs(args[2], global, "size");
                var stride = Longs(args[3], global, "stride");
                return _rebuildTensor(storage, offset, size, stride);
            }
            case PickleGlobalKind.RebuildParameter when args.Length == 3:
            case PickleGlobalKind.RebuildParameterWithState when args.Length == 4:
                return args[0] is TensorPlaceholder ? args[0] : throw Error($"{global.FullName} of {Describe(args[0])} (expected a tensor)");
            case PickleGlobalKind.OrderedDict when args.Length == 0:
                return NewDict();
            case PickleGlobalKind.OrderedDict when args.Length == 1 && args[0] is (List<object?> or object[]):
            {
                var dict = NewDict();
                foreach (var pair in args[0] is List<object?> list ? list.ToArray() : (object?[])args[0]!)
                {
                    var kv = pair as object?[] ?? (pair as List<object?>)?.ToArray();
                    if (kv is not { Length: 2 }) throw Error("OrderedDict items that are not (key, value) pairs");
                    dict[DictKey(kv[0])] = kv[1];
                }
                return dict;
            }
            case PickleGlobalKind.Set when args.Length == 0:
                return new HashSet<object?>();
            case PickleGlobalKind.Set when args.Length == 1 && args[0] is (List<object?> or object[]):
                return NewSet(args[0] is List<object?> l ? l : (object?[])args[0]!);
            case PickleGlobalKind.Size when args.Length == 0:
                return Array.Empty<object?>();
            case PickleGlobalKind.Size when args.Length == 1:
                return Longs(args[0], global, "dimensions").Select(d => (object?)d).ToArray();
            case PickleGlobalKind.Device when args.Length == 1 && args[0] is string type:
                return type;
            case PickleGlobalKind.Device when args.Length == 2 && args[0] is string type && args[1] is long index:
                return $"{type}:{index}";
            case PickleGlobalKind.CodecsEncode when args.Length == 2 && args[0] is string && args[1] is "latin1" or "latin-1":
            {
                var source = (string)args[0]!;
                var bytes = new byte[source.Length];
                for (int i = 0; i < source.Length; i++)
                    bytes[i] = source[i] <= 0xFF ? (byte)source[i] : throw Error("_codecs.encode of a character outside latin-1");
                return bytes;
            }
            default:
                throw Error($"{global.FullName} called with {args.Length} argument(s) ({string.Join(", ", args.Select(Describe))}) is not supported");
        }
    }

    private long[] Longs(object? value, PickleGlobal global, string what)
    {
        var items = value as object?[] ?? (value as List<object?>)?.ToArray()
            ?? throw Error($"{global.FullName} with a {what} that is {Describe(value)} (expected a tuple of ints)");
        var result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
            result[i] = items[i] is long l ? l : throw Error($"{global.FullName} with a {what} entry that is {Describe(items[i])}");
        return result;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{Shorten(s)}'",
        long or BigInteger => $"the int {value}",
        double d => $"the float {d.ToString(CultureInfo.InvariantCulture)}",
        bool b => b ? "True" : "False",
        byte[] => "bytes",
        object?[] t => $"a tuple of {t.Length}",
        List<object?> l => $"a list of {l.Count}",
        Dictionary<string, object?> => "a dict",
        HashSet<object?> => "a set",
        PickleGlobal g => $"the global {g.FullName}",
        StorageRef => "a storage",
        TensorPlaceholder => "a tensor",
        _ => value.GetType().Name,
    };
}
