namespace MlNetTts.Tacotron2;

/// <summary>Settings of one inference call; null fields take the model config's value.</summary>
public sealed record Tacotron2InferenceOptions
{
    /// <summary>Step cap (config <c>max_decoder_steps</c> when null).</summary>
    public int? MaxDecoderSteps { get; init; }

    /// <summary>Stop threshold on sigmoid(gate) (config <c>gate_threshold</c> when null).</summary>
    public double? GateThreshold { get; init; }

    /// <summary>End as soon as every item has stopped (config: <c>!decoder_no_early_stopping</c> when null).</summary>
    public bool? EarlyStopping { get; init; }

    /// <summary>
    /// Test the all-stopped condition every this many steps (default 1). Each test is a device-to-host sync; on a GPU
    /// a larger interval avoids stalls. The outputs do not depend on it: steps decoded past the stop are dropped.
    /// </summary>
    public int StopCheckInterval { get; init; } = 1;

    /// <summary>Stops decoding within one decoder step of a cancellation request, with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}
