using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MlNetTts.Nn;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// <see cref="Decoder.Infer"/> at batch 1-8 on CPU as one C# loop over float32 buffers: the same step as the
/// libtorch path (prenet with its always-on dropout, attention LSTM, location-sensitive attention with padded
/// encoder steps masked, decoder LSTM, projection and gate, the gate stop), with every product through
/// <see cref="SmallBatchGemv"/> (at batch 1-2 in mixed precision, the LSTM matrices as <see cref="PanelWeights"/>)
/// and the rest vectorised in place. Through libtorch a batch-1 step is ~30 small ops
/// whose fixed costs (5-30 us each) were a quarter of the step beside the weight reads the step is bound by.
/// Weights follow the casting scope as <see cref="Cast"/> does at inference: LSTM matrices in the scope's bfloat16,
/// layers under <see cref="Cast.SmallLayerBytes"/> in float32, biases and activations float32. Prenet dropout masks
/// are drawn from libtorch's generator (so <c>manual_seed</c> makes runs repeatable), a block of steps at a time.
/// </summary>
internal static unsafe class CpuDecoderLoop
{
    /// <summary>Off routes decoding to the libtorch step, so tests and benchmarks compare both in one process.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Off keeps bfloat16 LSTM matrices row-major at batch 1-2 (tests and benchmarks compare both); on packs them as <see cref="PanelWeights"/>.</summary>
    internal static bool PackPanels { get; set; } = true;

    private const int DropoutBlockSteps = 64;

    /// <summary>Whether <see cref="Run"/> takes this decode: CPU, float32, batch 1-8, no gradient, no scope or a bfloat16 one.</summary>
    public static bool Accepts(Decoder decoder, Tensor memory, Tensor memoryLengths)
    {
        if (!Enabled || !SmallBatchGemv.IsSupported || !SmallBatchGemv.Enabled) return false;
        if (CastingScope.Current is { } scope && scope.DType != ScalarType.BFloat16) return false;
        if (memory.device_type != TorchSharp.DeviceType.CPU || memory.dtype != ScalarType.Float32 || memory.dim() != 3) return false;
        if (memory.shape[0] < 1 || memory.shape[0] > SmallBatchGemv.MaxBatch || memory.shape[1] < 1) return false;
        if (memoryLengths.device_type != TorchSharp.DeviceType.CPU || memoryLengths.dim() != 1 || memoryLengths.shape[0] != memory.shape[0]) return false;
        bool gradient = is_grad_enabled();
        foreach (var p in decoder.parameters())
        {
            if (p.device_type != TorchSharp.DeviceType.CPU || p.dtype != ScalarType.Float32 || !p.is_contiguous()) return false;
            if (gradient && p.requires_grad) return false;
        }
        if (gradient && memory.requires_grad) return false;
        using var lengths = memoryLengths.to(ScalarType.Int64);
        return lengths.min().item<long>() >= 1 && lengths.max().item<long>() <= memory.shape[1];
    }

    /// <summary>Decodes as <see cref="Decoder.Infer"/> (same stop rule and outputs) for operands <see cref="Accepts"/> took.</summary>
    public static DecoderInference Run(Decoder decoder, Tensor memory, Tensor processedMemory, Tensor memoryLengths, int maxDecoderSteps,
        double gateThreshold, bool earlyStopping, CancellationToken cancellationToken)
    {
        // Temporaries (contiguous copies, stacked weights) belong to the caller's dispose scope, as the libtorch
        // path's do; the outputs move one scope out, as its outputs do.
        using var loop = new Loop(decoder, memory.contiguous(), processedMemory.contiguous(), memoryLengths);
        return loop.Decode(maxDecoderSteps, (float)gateThreshold, earlyStopping, cancellationToken);
    }

    /// <summary>One decode's weights, buffers and state.</summary>
    private sealed class Loop : IDisposable
    {
        private readonly int _batch, _time, _encoderDim, _frameSize, _melChannels, _framesPerStep;
        private readonly int _prenetDim0, _prenetDim1, _attentionRnnDim, _attentionDim, _decoderRnnDim, _filters, _kernel;
        private readonly int _threads, _attentionWorkers, _locationInputLength, _locationConvLength;
        private readonly long[] _lengths;
        private readonly bool _dropout;

        // Weights (tensors kept alive by the caller's dispose scope) and float32 biases.
        private readonly Tensor _prenet0, _prenet1, _attentionIh, _attentionHh, _query, _decoderIh, _decoderHh, _output;
        private readonly float[] _attentionBias, _decoderBias, _outputBias, _prenetBias0, _prenetBias1, _queryBias;
        private readonly float[] _v, _denseT;
        private readonly float* _convWeight, _memory, _processedMemory;

        // At batch 1-2 in a bfloat16 scope, each LSTM's W_ih and W_hh as bfloat16 panels (null: the row-major product;
        // with panels, the W fields hold the float32 parameters, unused by the products).
        private readonly PanelWeights? _attentionPanels, _decoderPanels;

        // Activations, pinned: x rows for the products, LSTM gates and state, attention buffers.
        private readonly float[] _frame, _prenetHidden, _prenetOut, _attentionInput, _attentionGates, _attentionH, _attentionC;
        private readonly float[] _processedQuery, _weightsCat, _location, _locationInput, _locationConv, _energies, _context;
        private readonly float[] _decoderInput, _decoderGates, _decoderH, _decoderC, _hiddenAndContext, _projected;
        private readonly float[] _dropoutMasks;
        private int _dropoutStep = DropoutBlockSteps;

        // The step's attention, item by item on up to _attentionWorkers threads, each with its own scratch.
        private readonly Action<int> _attendWorker;
        private float[] _stepAlignment = [];

        public Loop(Decoder decoder, Tensor memory, Tensor processedMemory, Tensor memoryLengths)
        {
            var castScope = CastingScope.Current;
            _threads = get_num_threads();
            _batch = (int)memory.shape[0];
            _time = (int)memory.shape[1];
            _encoderDim = (int)memory.shape[2];
            _melChannels = (int)decoder.MelChannels;
            _framesPerStep = (int)decoder.FramesPerStep;
            _frameSize = _melChannels * _framesPerStep;
            using (var l = memoryLengths.to(ScalarType.Int64).cpu()) _lengths = l.data<long>().ToArray();
            _dropout = decoder.Prenet.DropoutAlwaysOn;

            // LSTM matrices follow the scope as Cast.LstmCell does; other layers stay float32 when small (Cast.Linear).
            Tensor Lstm(Tensor w) => castScope is null ? w : castScope.Weight(w);
            Tensor Layer(Tensor w) => castScope is not null && w.numel() * sizeof(float) >= Cast.SmallLayerBytes ? castScope.Weight(w) : w;
            var prenet = decoder.Prenet.Weights.ToArray();
            if (prenet.Length != 2) throw new NotSupportedException($"The C# decoder loop expects the reference's 2 prenet layers, not {prenet.Length}.");
            _prenet0 = Layer(prenet[0]);
            _prenet1 = Layer(prenet[1]);
            _prenetDim0 = (int)prenet[0].shape[0];
            _prenetDim1 = (int)prenet[1].shape[0];
            _prenetBias0 = new float[_prenetDim0];
            _prenetBias1 = new float[_prenetDim1];
            var attentionRnn = decoder.AttentionRnn;
            var decoderRnn = decoder.DecoderRnn;
            // bfloat16 LSTM matrices (37 MB in the default config, mostly cache-resident) are read faster as panels:
            // batch-1 products 53-82 -> 68-104 GB/s, batch 2 40-57 -> 57-84 (gemv-kernels, three runs, docs/performance.md;
            // batch 3 and up gained nothing, see PanelWeights). They are packed straight from the
            // float32 parameters, rounded as the scope's cast would, so no row-major bfloat16 copy is made. float32
            // ones (73 MB) would cost a 73 MB copy per decode, and packed they decoded no faster (1.14-1.23 ms/step
            // either way, three alternating runs of tacotron2-decoder): they stay row-major.
            // (Packed last, once nothing below can throw.)
            Tensor[] attentionPair = [attentionRnn.WeightIh, attentionRnn.WeightHh], decoderPair = [decoderRnn.WeightIh, decoderRnn.WeightHh];
            bool panels = PackPanels && _batch <= 2 && castScope is { DType: ScalarType.BFloat16 }
                && PanelWeights.CanPack(attentionPair) && PanelWeights.CanPack(decoderPair);
            _attentionRnnDim = (int)attentionRnn.HiddenSize;
            _attentionIh = panels ? attentionRnn.WeightIh : Lstm(attentionRnn.WeightIh);
            _attentionHh = panels ? attentionRnn.WeightHh : Lstm(attentionRnn.WeightHh);
            _attentionBias = Sum(attentionRnn.BiasIh, attentionRnn.BiasHh);
            var attention = decoder.AttentionLayer;
            _query = Layer(attention.QueryWeight);
            _attentionDim = (int)attention.QueryWeight.shape[0];
            _queryBias = new float[_attentionDim];
            _v = Floats(attention.VWeight);
            var convWeight = attention.Location.ConvWeight;
            _filters = (int)convWeight.shape[0];
            _kernel = (int)convWeight.shape[2];
            if (convWeight.shape[1] != 2 || _kernel % 2 == 0) throw new NotSupportedException("The location conv must take 2 channels with an odd kernel.");
            _convWeight = Address(convWeight);
            _denseT = LocationFeatures.TransposeDense(attention.Location.DenseWeight);
            _decoderRnnDim = (int)decoderRnn.HiddenSize;
            _decoderIh = panels ? decoderRnn.WeightIh : Lstm(decoderRnn.WeightIh);
            _decoderHh = panels ? decoderRnn.WeightHh : Lstm(decoderRnn.WeightHh);
            _decoderBias = Sum(decoderRnn.BiasIh, decoderRnn.BiasHh);
            // Projection and gate read the same [h, context]: one product over their stacked rows, cast when the
            // projection alone would be (the 1-row gate never is; in such configs its row is then bfloat16 here).
            var stacked = cat([decoder.Projection.Weight, decoder.Gate.Weight], 0).contiguous();
            _output = castScope is not null && decoder.Projection.Weight.numel() * sizeof(float) >= Cast.SmallLayerBytes ? castScope.Weight(stacked) : stacked;
            _outputBias = Floats(cat([decoder.Projection.Bias ?? zeros(_frameSize), decoder.Gate.Bias ?? zeros(1)], 0));
            _memory = Address(memory);
            _processedMemory = Address(processedMemory);

            int b = _batch;
            _frame = Pinned(b * _frameSize);
            _prenetHidden = Pinned(b * _prenetDim0);
            _prenetOut = Pinned(b * _prenetDim1);
            _attentionInput = Pinned(b * (_prenetDim1 + _encoderDim));
            _attentionGates = Pinned(b * 4 * _attentionRnnDim);
            _attentionH = Pinned(b * _attentionRnnDim);
            _attentionC = Pinned(b * _attentionRnnDim);
            _processedQuery = Pinned(b * _attentionDim);
            _weightsCat = Pinned(b * 2 * _time);
            _location = Pinned(b * _time * _attentionDim);
            // Items attend independently: at batch 2+ they split between the threads (a batch-4 step's attention
            // was a quarter of its non-product time on one core while the other waited).
            _attentionWorkers = Math.Clamp(Math.Min(_threads, b), 1, b);
            _locationInputLength = LocationFeatures.InputScratchLength(2, _time, _kernel);
            _locationConvLength = LocationFeatures.ConvScratchLength(_filters, _time);
            _locationInput = Pinned(_attentionWorkers * _locationInputLength);
            _locationConv = Pinned(_attentionWorkers * _locationConvLength);
            _energies = Pinned(_attentionWorkers * _time * _attentionDim);
            _attendWorker = worker =>
            {
                for (int item = worker; item < _batch; item += _attentionWorkers) LocateAndAttend(item, worker, _stepAlignment);
            };
            _context = Pinned(b * _encoderDim);
            _decoderInput = Pinned(b * (_attentionRnnDim + _encoderDim));
            _decoderGates = Pinned(b * 4 * _decoderRnnDim);
            _decoderH = Pinned(b * _decoderRnnDim);
            _decoderC = Pinned(b * _decoderRnnDim);
            _hiddenAndContext = Pinned(b * (_decoderRnnDim + _encoderDim));
            _projected = Pinned(b * (_frameSize + 1));
            _dropoutMasks = _dropout ? Pinned(DropoutBlockSteps * b * (_prenetDim0 + _prenetDim1)) : [];
            if (panels)
            {
                _attentionPanels = PanelWeights.Pack(attentionPair);
                try
                {
                    _decoderPanels = PanelWeights.Pack(decoderPair);
                }
                catch
                {
                    _attentionPanels.Dispose();
                    throw;
                }
            }
        }

        public DecoderInference Decode(int maxDecoderSteps, float gateThreshold, bool earlyStopping, CancellationToken cancellationToken)
        {
            var mels = new List<float[]>();
            var gates = new List<float[]>();
            var alignments = new List<float[]>();
            var notFinished = Enumerable.Repeat(true, _batch).ToArray();
            var stepLengths = new int[_batch];
            int steps = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var alignment = new float[_batch * _time];
                Step(alignment);
                var mel = new float[_batch * _frameSize];
                var gate = new float[_batch];
                for (int b = 0; b < _batch; b++)
                {
                    var row = _projected.AsSpan(b * (_frameSize + 1), _frameSize + 1);
                    row[.._frameSize].CopyTo(mel.AsSpan(b * _frameSize));
                    gate[b] = row[_frameSize];
                    // The libtorch path: sigmoid(gate) <= threshold, in float32.
                    bool continues = 1f / (1f + MathF.Exp(-gate[b])) <= gateThreshold;
                    notFinished[b] &= continues;
                    if (notFinished[b]) stepLengths[b]++;
                }
                mels.Add(mel);
                gates.Add(gate);
                alignments.Add(alignment);
                steps++;
                if (earlyStopping && !notFinished.Contains(true)) break;
                if (steps == maxDecoderSteps) break;
                mel.CopyTo(_frame, 0);
            }
            return Outputs(mels, gates, alignments, stepLengths, notFinished, steps);
        }

        /// <summary>One decoder step from <see cref="_frame"/> and the state; the attention weights go to <paramref name="alignment"/>.</summary>
        private void Step(float[] alignment)
        {
            int b = _batch;
            // Prenet: relu(W x), then dropout(0.5) as the reference (kept values doubled), twice.
            Product(_prenetHidden, _prenetBias0, (_frame, _prenet0, _frameSize));
            Relu(_prenetHidden);
            if (_dropout) Dropout(_prenetHidden, 0);
            Product(_prenetOut, _prenetBias1, (_prenetHidden, _prenet1, _prenetDim0));
            Relu(_prenetOut);
            if (_dropout) Dropout(_prenetOut, b * _prenetDim0);
            _dropoutStep++;

            // Attention LSTM on [prenet, previous context].
            Concatenate(_attentionInput, _prenetOut, _prenetDim1, _context, _encoderDim);
            LstmProduct(_attentionGates, _attentionBias, _attentionPanels, (_attentionInput, _attentionIh, _prenetDim1 + _encoderDim), (_attentionH, _attentionHh, _attentionRnnDim));
            Cast.LstmGateMath(_attentionGates, _attentionC, _attentionH, _attentionC, b, _attentionRnnDim);

            // Location-sensitive attention: energies over the unpadded encoder steps, softmax, context; cumulative weights.
            Product(_processedQuery, _queryBias, (_attentionH, _query, _attentionRnnDim));
            if (_attentionWorkers == 1)
            {
                for (int item = 0; item < b; item++) LocateAndAttend(item, 0, alignment);
            }
            else
            {
                _stepAlignment = alignment;
                KernelWorkers.Run(_attentionWorkers, _attendWorker);
            }

            // Decoder LSTM on [attention h, context]; projection and gate on [decoder h, context].
            Concatenate(_decoderInput, _attentionH, _attentionRnnDim, _context, _encoderDim);
            LstmProduct(_decoderGates, _decoderBias, _decoderPanels, (_decoderInput, _decoderIh, _attentionRnnDim + _encoderDim), (_decoderH, _decoderHh, _decoderRnnDim));
            Cast.LstmGateMath(_decoderGates, _decoderC, _decoderH, _decoderC, b, _decoderRnnDim);
            Concatenate(_hiddenAndContext, _decoderH, _decoderRnnDim, _context, _encoderDim);
            Product(_projected, _outputBias, (_hiddenAndContext, _output, _decoderRnnDim + _encoderDim));
        }

        /// <summary>Item <paramref name="item"/>'s location features, then its attention, with worker <paramref name="worker"/>'s scratch.</summary>
        private void LocateAndAttend(int item, int worker, float[] alignment)
        {
            LocationFeatures.ComputeInto(Address(_weightsCat) + (long)item * 2 * _time, 1, 2, _time, _convWeight, _filters, _kernel,
                Address(_denseT), _attentionDim, Address(_location) + (long)item * _time * _attentionDim,
                Address(_locationInput) + (long)worker * _locationInputLength, Address(_locationConv) + (long)worker * _locationConvLength);
            Attend(item, worker, alignment.AsSpan(item * _time, _time));
        }

        /// <summary>Item <paramref name="item"/>'s attention: weights (into <paramref name="weights"/>), context, and the (previous, cumulative) pair for the next step.</summary>
        private void Attend(int item, int worker, Span<float> weights)
        {
            int length = (int)_lengths[item], dim = _attentionDim;
            var query = new ReadOnlySpan<float>(_processedQuery, item * dim, dim);
            var sums = _energies.AsSpan(worker * _time * dim, length * dim);
            var location = _location.AsSpan(item * _time * dim, length * dim);
            var processed = new ReadOnlySpan<float>(_processedMemory + (long)item * _time * dim, length * dim);
            TensorPrimitives.Add(location, processed, sums);
            for (int t = 0; t < length; t++) TensorPrimitives.Add(sums.Slice(t * dim, dim), query, sums.Slice(t * dim, dim));
            TensorPrimitives.Tanh(sums, sums);
            var scores = weights[..length];
            for (int t = 0; t < length; t++) scores[t] = TensorPrimitives.Dot(sums.Slice(t * dim, dim), _v);
            // Softmax over the unpadded steps; padded ones (-inf in the reference) get weight 0.
            float max = TensorPrimitives.Max(scores);
            TensorPrimitives.Subtract(scores, max, scores);
            TensorPrimitives.Exp(scores, scores);
            TensorPrimitives.Divide(scores, TensorPrimitives.Sum(scores), scores);
            weights[length..].Clear();

            var context = _context.AsSpan(item * _encoderDim, _encoderDim);
            context.Clear();
            for (int t = 0; t < length; t++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(_memory + ((long)item * _time + t) * _encoderDim, _encoderDim), weights[t], context, context);

            var previous = _weightsCat.AsSpan(item * 2 * _time, _time);
            var cumulative = _weightsCat.AsSpan(item * 2 * _time + _time, _time);
            weights.CopyTo(previous);
            TensorPrimitives.Add(cumulative, weights, cumulative);
        }

        private void Product(float[] y, float[] bias, params ReadOnlySpan<(float[] X, Tensor W, int K)> terms)
        {
            Span<SmallBatchGemv.RawTerm> raw = stackalloc SmallBatchGemv.RawTerm[terms.Length];
            for (int i = 0; i < terms.Length; i++)
                raw[i] = new SmallBatchGemv.RawTerm((nint)Address(terms[i].X), (nint)Address(terms[i].W), terms[i].K, terms[i].W.dtype == ScalarType.BFloat16);
            SmallBatchGemv.LinearSumInto(raw, bias, Address(y), _batch, _threads);
        }

        /// <summary>An LSTM's gate sums [x, h] -> 4H: through its panels when packed, else as <see cref="Product"/>.</summary>
        private void LstmProduct(float[] y, float[] bias, PanelWeights? panels, (float[] X, Tensor W, int K) input, (float[] X, Tensor W, int K) hidden)
        {
            if (panels is null)
            {
                Product(y, bias, input, hidden);
                return;
            }
            ReadOnlySpan<nint> inputs = [(nint)Address(input.X), (nint)Address(hidden.X)];
            SmallBatchGemv.PanelSumInto(panels, inputs, bias, Address(y), _batch, _threads);
        }

        public void Dispose()
        {
            _attentionPanels?.Dispose();
            _decoderPanels?.Dispose();
        }

        /// <summary>Multiplies by this step's keep mask (0 or 2); masks come from libtorch's generator, a block of steps at a time.</summary>
        private void Dropout(float[] values, int offset)
        {
            int perStep = _batch * (_prenetDim0 + _prenetDim1);
            if (_dropoutStep >= DropoutBlockSteps)
            {
                using var keep = empty(DropoutBlockSteps * perStep, dtype: ScalarType.Float32).bernoulli_(1 - Prenet.DropoutProbability);
                // Scaled straight out of libtorch's buffer: one pass, no separate copy.
                TensorPrimitives.Multiply(TensorMemory.Floats(keep), (float)(1 / (1 - Prenet.DropoutProbability)), _dropoutMasks);
                _dropoutStep = 0;
            }
            TensorPrimitives.Multiply(values, _dropoutMasks.AsSpan(_dropoutStep * perStep + offset, values.Length), values);
        }

        private static void Relu(float[] values) => TensorPrimitives.Max(values, 0f, values);

        /// <summary>Row b of <paramref name="target"/> = [row b of a | row b of c].</summary>
        private void Concatenate(float[] target, float[] a, int aWidth, float[] c, int cWidth)
        {
            for (int b = 0; b < _batch; b++)
            {
                a.AsSpan(b * aWidth, aWidth).CopyTo(target.AsSpan(b * (aWidth + cWidth)));
                c.AsSpan(b * cWidth, cWidth).CopyTo(target.AsSpan(b * (aWidth + cWidth) + aWidth));
            }
        }

        /// <summary>The per-step outputs in <see cref="DecoderInference"/>'s layouts.</summary>
        private DecoderInference Outputs(List<float[]> mels, List<float[]> gates, List<float[]> alignments, int[] stepLengths, bool[] notFinished, int steps)
        {
            int frames = steps * _framesPerStep;
            var mel = new float[_batch * _melChannels * frames];
            var gate = new float[_batch * steps];
            var alignment = new float[_batch * steps * _time];
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < _batch; b++)
                {
                    var step = mels[t].AsSpan(b * _frameSize, _frameSize);
                    for (int j = 0; j < _framesPerStep; j++)
                        for (int m = 0; m < _melChannels; m++)
                            mel[((long)b * _melChannels + m) * frames + t * _framesPerStep + j] = step[j * _melChannels + m];
                    gate[b * steps + t] = gates[t][b];
                    alignments[t].AsSpan(b * _time, _time).CopyTo(alignment.AsSpan((b * steps + t) * _time));
                }
            var lengths = stepLengths.Select(l => l * _framesPerStep).ToArray();
            return new DecoderInference(
                tensor(mel, [_batch, _melChannels, frames]).MoveToOuterDisposeScope(),
                tensor(gate, [_batch, steps]).MoveToOuterDisposeScope(),
                tensor(alignment, [_batch, steps, _time]).MoveToOuterDisposeScope(),
                tensor(lengths, [_batch]).MoveToOuterDisposeScope(),
                notFinished.ToArray(),
                steps);
        }

        private static float[] Sum(Tensor a, Tensor b)
        {
            var sum = Floats(a);
            TensorPrimitives.Add(sum, Floats(b), sum);
            return sum;
        }

        private static float[] Floats(Tensor t)
        {
            using var f = t.detach().to(ScalarType.Float32).contiguous().cpu();
            return f.data<float>().ToArray();
        }

        private static float[] Pinned(int length) => GC.AllocateArray<float>(Math.Max(1, length), pinned: true);

        private static float* Address(float[] pinned) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

        private static float* Address(Tensor t) => (float*)TensorMemory.Address(t);
    }
}
