using System.Globalization;

namespace MlNetTts.WaveGlow;

/// <summary>
/// WaveGlow's hyper-parameters: the keyword arguments of NVIDIA's <c>WaveGlow(...)</c>, which its
/// checkpoints store under <c>config</c>. Defaults are the reference's (80 mels, 12 flows, groups of 8,
/// 2 channels emitted early every 4 flows, WN with 8 layers, kernel 3, 256 channels).
/// </summary>
public sealed record WaveGlowConfig
{
    /// <summary>Mel channels of the conditioning spectrogram (<c>n_mel_channels</c>).</summary>
    public int NMelChannels { get; init; } = 80;

    /// <summary>Flows: invertible 1x1 conv + affine coupling (<c>n_flows</c>).</summary>
    public int NFlows { get; init; } = 12;

    /// <summary>Audio samples folded into channels (<c>n_group</c>); must be even.</summary>
    public int NGroup { get; init; } = 8;

    /// <summary>Channels are emitted early before every flow k with k % this == 0, k &gt; 0 (<c>n_early_every</c>).</summary>
    public int NEarlyEvery { get; init; } = 4;

    /// <summary>Channels emitted at each early output (<c>n_early_size</c>); must be even.</summary>
    public int NEarlySize { get; init; } = 2;

    /// <summary>The coupling networks' sizes (<c>WN_config</c>).</summary>
    public WaveNetConfig WN { get; init; } = new();

    /// <summary>Kernel of the transposed conv that upsamples mel frames to samples (fixed at 1024 in the reference, not in its config).</summary>
    public int UpsampleKernelSize { get; init; } = 1024;

    /// <summary>Stride of that transposed conv: audio samples per mel frame (fixed at 256 in the reference).</summary>
    public int UpsampleStride { get; init; } = 256;

    /// <summary>Whether flow <paramref name="k"/> starts by emitting <see cref="NEarlySize"/> channels.</summary>
    public bool EmitsEarlyBefore(int k) => k % NEarlyEvery == 0 && k > 0;

    /// <summary>Audio channels still flowing at flow <paramref name="k"/> (its invertible conv's size).</summary>
    public int RemainingChannelsAt(int k)
    {
        int remaining = NGroup;
        for (int i = 1; i <= k; i++)
            if (EmitsEarlyBefore(i)) remaining -= NEarlySize;
        return remaining;
    }

    /// <summary>Audio channels left after the last flow (the initial noise's channels at inference).</summary>
    public int RemainingChannels => RemainingChannelsAt(NFlows - 1);

    /// <summary>Throws if the sizes cannot make a working WaveGlow (the reference asserts some of these, and breaks on the rest).</summary>
    /// <exception cref="ArgumentException">A size is out of range; the message names it.</exception>
    public WaveGlowConfig Validate()
    {
        Require(NMelChannels > 0, "n_mel_channels", NMelChannels, "must be positive");
        Require(NFlows > 0, "n_flows", NFlows, "must be positive");
        Require(NGroup > 0 && NGroup % 2 == 0, "n_group", NGroup, "must be positive and even");
        Require(NEarlyEvery > 0, "n_early_every", NEarlyEvery, "must be positive");
        Require(NEarlySize >= 0 && NEarlySize % 2 == 0, "n_early_size", NEarlySize, "must be even and not negative (the coupling halves would not line up)");
        Require(RemainingChannels >= 2, "n_early_size", NEarlySize, $"leaves {RemainingChannels} of n_group={NGroup} channels after {NFlows} flows; at least 2 must remain");
        Require(WN.NLayers > 0, "WN_config.n_layers", WN.NLayers, "must be positive");
        Require(WN.KernelSize > 0 && WN.KernelSize % 2 == 1, "WN_config.kernel_size", WN.KernelSize, "must be positive and odd");
        Require(WN.NChannels > 0 && WN.NChannels % 2 == 0, "WN_config.n_channels", WN.NChannels, "must be positive and even");
        Require(UpsampleStride > 0, nameof(UpsampleStride), UpsampleStride, "must be positive");
        Require(UpsampleKernelSize >= UpsampleStride, nameof(UpsampleKernelSize), UpsampleKernelSize, $"must be at least the stride {UpsampleStride}");
        return this;
    }

    /// <summary>
    /// Reads a checkpoint's <c>config</c> dictionary (<c>n_mel_channels</c>, <c>n_flows</c>, <c>n_group</c>,
    /// <c>n_early_every</c>, <c>n_early_size</c>, and <c>WN_config</c> with <c>n_layers</c>,
    /// <c>kernel_size</c>, <c>n_channels</c>). Numbers may arrive as long, int or integral double; keys
    /// that are absent keep the reference defaults; unknown keys are rejected, as Python's
    /// <c>WaveGlow(**config)</c> would reject them.
    /// </summary>
    /// <exception cref="ArgumentException">A value is missing its expected type, or a key is unknown.</exception>
    public static WaveGlowConfig FromCheckpointConfig(IReadOnlyDictionary<string, object?> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new WaveGlowConfig();
        foreach (var (key, value) in config)
        {
            result = key switch
            {
                "n_mel_channels" => result with { NMelChannels = Integer(key, value) },
                "n_flows" => result with { NFlows = Integer(key, value) },
                "n_group" => result with { NGroup = Integer(key, value) },
                "n_early_every" => result with { NEarlyEvery = Integer(key, value) },
                "n_early_size" => result with { NEarlySize = Integer(key, value) },
                "WN_config" => result with { WN = WaveNetFromCheckpointConfig(value) },
                _ => throw new ArgumentException($"WaveGlow checkpoint config has an unknown key '{key}'; expected n_mel_channels, n_flows, n_group, n_early_every, n_early_size, WN_config.", nameof(config)),
            };
        }
        return result.Validate();
    }

    /// <summary>The checkpoint form of this config (what NVIDIA's <c>train.py</c> stores), nested WN_config included.</summary>
    public IReadOnlyDictionary<string, object?> ToCheckpointConfig() => new Dictionary<string, object?>
    {
        ["n_mel_channels"] = (long)NMelChannels,
        ["n_flows"] = (long)NFlows,
        ["n_group"] = (long)NGroup,
        ["n_early_every"] = (long)NEarlyEvery,
        ["n_early_size"] = (long)NEarlySize,
        ["WN_config"] = new Dictionary<string, object?>
        {
            ["n_layers"] = (long)WN.NLayers,
            ["kernel_size"] = (long)WN.KernelSize,
            ["n_channels"] = (long)WN.NChannels,
        },
    };

    private static WaveNetConfig WaveNetFromCheckpointConfig(object? value)
    {
        IEnumerable<KeyValuePair<string, object?>> entries = value switch
        {
            IReadOnlyDictionary<string, object?> d => d,
            IDictionary<string, object?> d => d,
            _ => throw new ArgumentException($"WaveGlow checkpoint config 'WN_config' must be a dictionary, got {Describe(value)}.", "config"),
        };
        var wn = new WaveNetConfig();
        foreach (var (key, v) in entries)
        {
            wn = key switch
            {
                "n_layers" => wn with { NLayers = Integer("WN_config.n_layers", v) },
                "kernel_size" => wn with { KernelSize = Integer("WN_config.kernel_size", v) },
                "n_channels" => wn with { NChannels = Integer("WN_config.n_channels", v) },
                _ => throw new ArgumentException($"WaveGlow checkpoint config 'WN_config' has an unknown key '{key}'; expected n_layers, kernel_size, n_channels.", "config"),
            };
        }
        return wn;
    }

    private static int Integer(string key, object? value) => value switch
    {
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        int i => i,
        double d when d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
        _ => throw new ArgumentException($"WaveGlow checkpoint config '{key}' must be an integer, got {Describe(value)}.", "config"),
    };

    private static string Describe(object? value) =>
        value is null ? "null" : $"{value.GetType().Name} {Convert.ToString(value, CultureInfo.InvariantCulture)}";

    private static void Require(bool ok, string name, int value, string what)
    {
        if (!ok) throw new ArgumentException($"WaveGlow config {name} = {value} {what}.", name);
    }
}
