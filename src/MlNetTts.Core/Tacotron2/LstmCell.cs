using MlNetTts.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetTts.Tacotron2;

/// <summary>
/// An LSTM cell with <c>nn.LSTMCell</c>'s parameter names (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>,
/// <c>bias_hh</c>), initialisation (U(-1/sqrt(H), 1/sqrt(H))) and gate order, whose math runs through
/// <see cref="Cast.LstmCell"/> so the decoder's two big recurrent layers honour the casting scope.
/// </summary>
public sealed class LstmCell : nn.Module
{
    private readonly Parameter weight_ih;
    private readonly Parameter weight_hh;
    private readonly Parameter bias_ih;
    private readonly Parameter bias_hh;

    public LstmCell(long inputSize, long hiddenSize) : base(nameof(LstmCell))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        HiddenSize = hiddenSize;
        double bound = 1.0 / Math.Sqrt(hiddenSize);
        using (no_grad())
        {
            weight_ih = nn.Parameter(empty(4 * hiddenSize, inputSize).uniform_(-bound, bound));
            weight_hh = nn.Parameter(empty(4 * hiddenSize, hiddenSize).uniform_(-bound, bound));
            bias_ih = nn.Parameter(empty(4 * hiddenSize).uniform_(-bound, bound));
            bias_hh = nn.Parameter(empty(4 * hiddenSize).uniform_(-bound, bound));
        }
        RegisterComponents();
    }

    public long HiddenSize { get; }

    internal Tensor WeightIh => weight_ih;
    internal Tensor WeightHh => weight_hh;
    internal Tensor BiasIh => bias_ih;
    internal Tensor BiasHh => bias_hh;

    /// <summary>One step: returns the new (h, c) for input (B, in) and state (B, H) each.</summary>
    public (Tensor H, Tensor C) Step(Tensor input, Tensor h, Tensor c) =>
        Cast.LstmCell(input, h, c, weight_ih, weight_hh, bias_ih, bias_hh);

    /// <summary>
    /// A teacher-forced sequence of <paramref name="steps"/> steps recorded for training, whose weight gradients are
    /// computed once for all steps (<see cref="LstmSequence"/>); null when no gradient is recorded (then use
    /// <see cref="Step"/>).
    /// </summary>
    internal LstmSequence? StartSequence(long steps, long batch) =>
        LstmSequence.Applies(weight_ih, weight_hh, bias_ih, bias_hh) ? LstmSequence.Start(weight_ih, weight_hh, bias_ih, bias_hh, steps, batch) : null;
}
