namespace MlNetTts.Data;

/// <summary>How a dataset keeps its mel spectrograms in memory.</summary>
public enum MelStorage
{
    /// <summary>
    /// IEEE half precision (2 bytes a value, half of float32). Log-mels lie in about [-11.6, 3]; half keeps 11
    /// significant bits, so a stored value is off by at most 2^-11 relative (under 0.004 absolute at |x| &lt;= 8),
    /// far below the loss a trained Tacotron 2 reaches. The default.
    /// </summary>
    Float16,

    /// <summary>Float32, exactly as given (twice the memory).</summary>
    Float32,
}
