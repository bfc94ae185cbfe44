using static TorchSharp.torch;

namespace MlNetTts.WaveGlow;

/// <summary>
/// What WaveGlow's training forward returns: <paramref name="Z"/> (B, n_group, L / n_group) — the early
/// outputs and the final audio channels concatenated along channels —, one log_s per flow
/// (B, n_half_k, L / n_group), and one log_det_W per flow (float32 scalars).
/// </summary>
public sealed record WaveGlowOutput(Tensor Z, IReadOnlyList<Tensor> LogS, IReadOnlyList<Tensor> LogDetW);
