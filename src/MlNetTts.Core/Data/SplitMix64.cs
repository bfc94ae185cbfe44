namespace MlNetTts.Data;

/// <summary>
/// A tiny counter-based random source (SplitMix64). Data order and segment offsets are derived from
/// (seed, epoch, item) with it, so a resumed run draws exactly what an uninterrupted one would without
/// saving any random-generator object, and the sequence never changes with the .NET version.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(long seed, long stream = 0, long substream = 0)
    {
        _state = Mix((ulong)seed ^ Mix((ulong)stream + 0x9E3779B97F4A7C15UL) ^ Mix(Mix((ulong)substream) + 0xD1B54A32D192ED03UL));
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public long NextInt64(long exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "must be positive");
        ulong bound = (ulong)exclusiveMax;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return (long)(x % bound);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(T[] items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
