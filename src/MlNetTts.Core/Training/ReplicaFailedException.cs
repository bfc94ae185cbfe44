namespace MlNetTts.Training;

/// <summary>
/// A data-parallel replica threw during its forward or backward pass. The whole step was abandoned: no optimizer step,
/// gradients cleared and BatchNorm statistics restored on every replica, so all replicas still hold the same weights.
/// </summary>
public sealed class ReplicaFailedException : Exception
{
    public ReplicaFailedException(string message, Exception inner) : base(message, inner) { }

    public ReplicaFailedException(int replica, string device, long iteration, Exception inner)
        : base($"Data-parallel replica {replica} on {device} failed in step {iteration}: {inner.Message} The step was abandoned on every replica (no weight changed).", inner)
    {
        Replica = replica;
        Device = device;
    }

    public ReplicaFailedException() { }

    public ReplicaFailedException(string message) : base(message) { }

    /// <summary>Index of the replica that failed (0 = the trainer's own model).</summary>
    public int Replica { get; }

    /// <summary>Its device, e.g. "cuda:1".</summary>
    public string Device { get; } = "";
}
