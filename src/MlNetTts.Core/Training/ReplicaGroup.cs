using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Single-process data parallelism (the reference's DistributedDataParallel, without processes or NCCL): replica 0 is
/// the trainer's model, the others are copies on further devices. Per step each replica runs forward and backward on
/// its contiguous share of the batch, its loss weighted by its share of the items (the losses are batch means, so the
/// weighted sum is the whole batch's loss and its gradient); the gradients are summed into replica 0, which the
/// optimizer steps; <see cref="Broadcast"/> then copies replica 0's parameters AND buffers (BatchNorm running
/// statistics: replica 0's are kept, as DDP's broadcast_buffers) to the others so they never drift.
/// With one device this is exactly the single-device step: no copy, no thread, no weighting.
/// </summary>
internal sealed class ReplicaGroup : IDisposable
{
    private readonly nn.Module[] _replicas;
    private readonly Device[] _devices;
    private readonly Parameter[][] _parameters; // [replica][parameter], aligned by name
    private readonly Tensor[][] _buffers;       // [replica][buffer], aligned by name
    private readonly string[] _names;         // parameter names, in _parameters' order
    private readonly bool _concurrent;

    public ReplicaGroup(nn.Module primary, IReadOnlyList<Device> devices, Func<Device, nn.Module> createReplica, bool concurrent)
    {
        _devices = devices.ToArray();
        _replicas = new nn.Module[_devices.Length];
        _replicas[0] = primary;
        _concurrent = concurrent && _devices.Length > 1;
        if (_devices.Length > 1)
        {
            // Building a model draws its initial weights from torch's generator; the training stream must not notice.
            using var rng = get_rng_state();
            try
            {
                for (int r = 1; r < _devices.Length; r++) _replicas[r] = createReplica(_devices[r]);
            }
            catch
            {
                for (int r = 1; r < _devices.Length; r++) _replicas[r]?.Dispose();
                throw;
            }
            finally
            {
                set_rng_state(rng);
            }
        }
        var names = primary.named_parameters().Select(p => p.name).ToArray();
        var bufferNames = primary.named_buffers().Select(b => b.name).ToArray();
        _parameters = new Parameter[_replicas.Length][];
        _buffers = new Tensor[_replicas.Length][];
        for (int r = 0; r < _replicas.Length; r++)
        {
            var byName = _replicas[r].named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var buffersByName = _replicas[r].named_buffers().ToDictionary(b => b.name, b => b.buffer);
            if (byName.Count != names.Length || buffersByName.Count != bufferNames.Length)
                throw new InvalidOperationException($"Replica {r} on {_devices[r]} does not have the module tree of replica 0.");
            _parameters[r] = names.Select(n => byName.TryGetValue(n, out var p) ? p : throw new InvalidOperationException($"Replica {r} on {_devices[r]} lacks parameter {n}.")).ToArray();
            _buffers[r] = bufferNames.Select(n => buffersByName.TryGetValue(n, out var b) ? b : throw new InvalidOperationException($"Replica {r} on {_devices[r]} lacks buffer {n}.")).ToArray();
        }
        _names = names;
        for (int r = 1; r < _replicas.Length; r++)
        {
            for (int j = 0; j < names.Length; j++) _parameters[r][j].requires_grad = _parameters[0][j].requires_grad;
            _replicas[r].train(primary.training);
        }
        Broadcast();
    }

    public int Count => _replicas.Length;

    public IReadOnlyList<nn.Module> Replicas => _replicas;

    /// <summary>Test seam: runs on each replica's thread before its forward pass (replica index, its model).</summary>
    public Action<int, nn.Module>? BeforeForward { get; set; }

    /// <summary>
    /// Forward and (scaled, weighted) backward of every share; on success replica 0's gradients hold the whole batch's.
    /// A replica that throws abandons the step on all of them (gradients cleared) and surfaces as <see cref="ReplicaFailedException"/>.
    /// </summary>
    public ReplicaPass ForwardBackward(ITrainingTask task, int[] items, int epoch, DynamicLossScaler scaler, long iteration)
    {
        if (_replicas.Length == 1)
        {
            // Today's single-device step, unchanged: no weighting, no thread.
            BeforeForward?.Invoke(0, _replicas[0]);
            var loss = task.Forward(items, epoch, new BatchShare(_replicas[0], _devices[0], 0, 1, 0, items.Length));
            double value = loss.Total.item<float>();
            var components = loss.Components.ToDictionary(c => c.Name, c => (double)c.Value.item<float>());
            bool finite = double.IsFinite(value);
            if (finite) scaler.ScaleLoss(loss.Total).backward();
            return new ReplicaPass(value, components, finite, loss.Items);
        }

        if (items.Length < _replicas.Length)
            throw new ArgumentException($"A batch of {items.Length} items cannot be shared by {_replicas.Length} data-parallel replicas; use BatchSize >= the number of devices.", nameof(items));
        var ranges = BatchShare.Split(items.Length, _replicas.Length);
        var outcomes = new ReplicaPass[_replicas.Length];
        var errors = new Exception?[_replicas.Length];
        bool training = _replicas[0].training;
        for (int r = 1; r < _replicas.Length; r++)
        {
            _replicas[r].train(training);
            foreach (var p in _parameters[r]) p.grad?.zero_();
        }

        void Run(int r)
        {
            try
            {
                using var scope = NewDisposeScope();
                BeforeForward?.Invoke(r, _replicas[r]);
                var (start, length) = ranges[r];
                var loss = task.Forward(items, epoch, new BatchShare(_replicas[r], _devices[r], r, _replicas.Length, start, length));
                double weight = (double)length / items.Length;
                double value = loss.Total.item<float>();
                var components = loss.Components.ToDictionary(c => c.Name, c => (double)c.Value.item<float>());
                bool finite = double.IsFinite(value);
                if (finite) scaler.ScaleLoss(loss.Total * weight).backward();
                outcomes[r] = new ReplicaPass(value * weight, components.ToDictionary(c => c.Key, c => c.Value * weight), finite, loss.Items);
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        }

        if (_concurrent)
            Parallel.For(0, _replicas.Length, new ParallelOptions { MaxDegreeOfParallelism = _replicas.Length }, Run);
        else
            for (int r = 0; r < _replicas.Length; r++) Run(r);

        int failed = Array.FindIndex(errors, e => e is not null);
        if (failed >= 0)
        {
            ZeroGradients();
            throw new ReplicaFailedException(failed, _devices[failed].ToString(), iteration, errors[failed]!);
        }

        bool allFinite = outcomes.All(o => o.Finite);
        if (allFinite) ReduceGradients();
        return new ReplicaPass(
            outcomes.Sum(o => o.Loss),
            outcomes[0].Components.Keys.ToDictionary(k => k, k => outcomes.Sum(o => o.Components[k])),
            allFinite,
            outcomes.Sum(o => o.Items));
    }

    /// <summary>Sums every replica's gradients into replica 0's (a non-finite value anywhere stays non-finite in the sum).</summary>
    private void ReduceGradients()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int j = 0; j < _names.Length; j++)
        {
            var target = _parameters[0][j].grad;
            for (int r = 1; r < _replicas.Length; r++)
            {
                var source = _parameters[r][j].grad;
                if (source is null) continue;
                if (target is null)
                    throw new InvalidOperationException($"Parameter {_names[j]} got a gradient on replica {r} ({_devices[r]}) but none on replica 0; data parallelism needs every parameter used by every share.");
                target.add_(DeviceList.SameDevice(source.device, target.device) ? source : source.to(target.device));
            }
        }
    }

    /// <summary>Clears the gradients of every replica (replica 0's hold no partial sum afterwards).</summary>
    public void ZeroGradients()
    {
        using var noGrad = no_grad();
        foreach (var replica in _parameters)
            foreach (var p in replica)
                p.grad?.zero_();
    }

    /// <summary>Copies of replica 0's buffers (BatchNorm running statistics) to put back after a skipped or failed step.</summary>
    public Tensor[] SaveBuffers() => _buffers[0].Select(b => b.detach().clone()).ToArray();

    /// <summary>Puts replica 0's buffers back from <paramref name="saved"/> (the others follow at the next <see cref="Broadcast"/>).</summary>
    public void RestoreBuffers(Tensor[] saved)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < saved.Length; i++) _buffers[0][i].copy_(saved[i]);
    }

    /// <summary>Replica 0's parameters and buffers copied into every other replica.</summary>
    public void Broadcast()
    {
        if (_replicas.Length == 1) return;
        using var noGrad = no_grad();
        for (int r = 1; r < _replicas.Length; r++)
        {
            for (int j = 0; j < _names.Length; j++) _parameters[r][j].copy_(_parameters[0][j]);
            for (int i = 0; i < _buffers[0].Length; i++) _buffers[r][i].copy_(_buffers[0][i]);
        }
    }

    /// <summary>Disposes the copies (never replica 0, the trainer's model).</summary>
    public void Dispose()
    {
        for (int r = 1; r < _replicas.Length; r++) _replicas[r].Dispose();
    }
}

/// <summary>A step's loss over the whole batch (weighted sum of the replicas'), its terms, whether every replica's loss was finite, items.</summary>
internal sealed record ReplicaPass(double Loss, IReadOnlyDictionary<string, double> Components, bool Finite, long Items);
