namespace MlNetTts.WaveGlow;

/// <summary>
/// Sizes of the WaveNet-like coupling network of every flow (NVIDIA's <c>WN_config</c>). Defaults are
/// the reference's; NVIDIA publishes checkpoints with 256 and 512 channels.
/// </summary>
public sealed record WaveNetConfig
{
    /// <summary>Dilated layers per coupling network (<c>n_layers</c>); dilation doubles per layer.</summary>
    public int NLayers { get; init; } = 8;

    /// <summary>Width of the dilated convolutions (<c>kernel_size</c>); must be odd.</summary>
    public int KernelSize { get; init; } = 3;

    /// <summary>Residual channels (<c>n_channels</c>); must be even.</summary>
    public int NChannels { get; init; } = 256;
}
