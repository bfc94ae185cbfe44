using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// Supplies the standard-normal noise <see cref="WaveGlowModel.Infer(Tensor, double, NoiseSource)"/> draws,
/// in float32, one call per draw: first the initial z (B, remaining channels, groups), then one
/// (B, n_early_size, groups) per early-output flow, in reverse flow order. Lets tests inject the
/// reference's noise.
/// </summary>
/// <param name="shape">The shape of the draw.</param>
public delegate Tensor NoiseSource(long[] shape);
