using System.Buffers.Binary;
using System.Text;

namespace MlNetTts.Tests.Checkpoints;

/// <summary>Writes pickle opcodes by hand, to build test checkpoints (including hostile ones) without Python.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _out = new();

    public PickleWriter Op(byte opcode) { _out.WriteByte(opcode); return this; }

    public PickleWriter Raw(ReadOnlySpan<byte> bytes) { _out.Write(bytes); return this; }

    public PickleWriter Proto(byte protocol) => Op(0x80).Op(protocol);

    public PickleWriter Mark() => Op((byte)'(');

    public PickleWriter Stop() => Op((byte)'.');

    public PickleWriter None() => Op((byte)'N');

    public PickleWriter Bool(bool value) => Op(value ? (byte)0x88 : (byte)0x89);

    public PickleWriter Int(long value)
    {
        if (value >= 0 && value < 256) return Op((byte)'K').Op((byte)value);
        if (value >= int.MinValue && value <= int.MaxValue)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)value);
            return Op((byte)'J').Raw(b);
        }
        return Long(new System.Numerics.BigInteger(value));
    }

    /// <summary>LONG1: little-endian two's complement.</summary>
    public PickleWriter Long(System.Numerics.BigInteger value)
    {
        var bytes = value.ToByteArray();
        return Op(0x8a).Op((byte)bytes.Length).Raw(bytes);
    }

    public PickleWriter Float(double value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, value);
        return Op((byte)'G').Raw(b);
    }

    public PickleWriter Str(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(n, (uint)bytes.Length);
        return Op((byte)'X').Raw(n).Raw(bytes);
    }

    public PickleWriter Global(string module, string name) => Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleWriter Tuple() => Op((byte)'t');

    public PickleWriter EmptyTuple() => Op((byte)')');

    public PickleWriter EmptyDict() => Op((byte)'}');

    public PickleWriter EmptyList() => Op((byte)']');

    public PickleWriter SetItems() => Op((byte)'u');

    public PickleWriter Appends() => Op((byte)'e');

    public PickleWriter Reduce() => Op((byte)'R');

    public PickleWriter BinPersId() => Op((byte)'Q');

    public PickleWriter BinPut(byte index) => Op((byte)'q').Op(index);

    public PickleWriter BinGet(byte index) => Op((byte)'h').Op(index);

    public byte[] ToArray() => _out.ToArray();
}
