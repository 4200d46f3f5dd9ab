/**
 * Printing matches PyTorch's: each expected string is what PyTorch 1.13 printed for the same
 * values (str(t), default print options), except that int32 prints as dtype=int32, gradpath's
 * name for it (PyTorch: dtype=torch.int32). Covers 4 decimals, whole numbers, scientific
 * notation, nan/inf, ties (rounded to even, as Python's format does), line wrapping, `...`
 * beyond 1000 elements, empty tensors and the grad_fn / requires_grad suffixes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Tensor, tensor, zeros, arange, cat, crossEntropy } from '../../src/engine/index.js';

const f = (a: number[]) => tensor(a);
const ar = (n: number) => arange(n).float();
const x = tensor([[1, 2], [3, 4]]).setRequiresGrad();
const y = tensor([[1, -2], [3, 4]]).setRequiresGrad();

const cases: [string, () => Tensor, string][] = [
  ["2x2 mm", () => tensor([[0.1, 0.2], [0.3, 0.4]]).setRequiresGrad().matmul(tensor([[1, 0], [0, 1]])),
    "tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]], grad_fn=<MmBackward0>)"],
  ["leaf", () => tensor([1.5, -2.25, 3.0]).setRequiresGrad(),
    "tensor([ 1.5000, -2.2500,  3.0000], requires_grad=True)"],
  ["0-d", () => tensor(1.5),
    "tensor(1.5000)"],
  ["0-d int-valued", () => tensor(2),
    "tensor(2.)"],
  ["ints", () => tensor(Int32Array.of(1, -20, 300)),
    "tensor([  1, -20, 300], dtype=int32)"],
  ["whole floats", () => f([1, 2, -30]),
    "tensor([  1.,   2., -30.])"],
  ["zeros", () => zeros([2, 3]),
    "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"],
  ["sci small", () => f([1e-5, 0.5, 2]),
    "tensor([1.0000e-05, 5.0000e-01, 2.0000e+00])"],
  ["sci large ratio", () => f([0.001, 1.5, 20]),
    "tensor([1.0000e-03, 1.5000e+00, 2.0000e+01])"],
  ["sci huge", () => f([1.5e9, 2]),
    "tensor([1.5000e+09, 2.0000e+00])"],
  ["sci whole", () => f([1, 5000]),
    "tensor([1.0000e+00, 5.0000e+03])"],
  ["nan inf", () => f([1.5, NaN, Infinity, -Infinity, 0]),
    "tensor([1.5000,    nan,    inf,   -inf, 0.0000])"],
  ["nan inf whole", () => f([1, NaN, -Infinity]),
    "tensor([1., nan, -inf])"],
  ["neg zero", () => f([-0, 1]),
    "tensor([-0., 1.])"],
  ["ties", () => f([0.03125, 0.09375, 1.00005, -0.15625]),
    "tensor([ 0.0312,  0.0938,  1.0000, -0.1562])"],
  ["3d", () => ar(24).reshape(2, 3, 4).div(7),
    "tensor([[[0.0000, 0.1429, 0.2857, 0.4286],\n         [0.5714, 0.7143, 0.8571, 1.0000],\n         [1.1429, 1.2857, 1.4286, 1.5714]],\n\n        [[1.7143, 1.8571, 2.0000, 2.1429],\n         [2.2857, 2.4286, 2.5714, 2.7143],\n         [2.8571, 3.0000, 3.1429, 3.2857]]])"],
  ["long row wraps", () => ar(30).div(3),
    "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n        9.0000, 9.3333, 9.6667])"],
  ["summarized 1d", () => ar(2000).div(10),
    "tensor([0.0000e+00, 1.0000e-01, 2.0000e-01,  ..., 1.9970e+02, 1.9980e+02,\n        1.9990e+02])"],
  ["summarized 2d", () => ar(2000).reshape(50, 40),
    "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 3.7000e+01, 3.8000e+01,\n         3.9000e+01],\n        [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 7.7000e+01, 7.8000e+01,\n         7.9000e+01],\n        [8.0000e+01, 8.1000e+01, 8.2000e+01,  ..., 1.1700e+02, 1.1800e+02,\n         1.1900e+02],\n        ...,\n        [1.8800e+03, 1.8810e+03, 1.8820e+03,  ..., 1.9170e+03, 1.9180e+03,\n         1.9190e+03],\n        [1.9200e+03, 1.9210e+03, 1.9220e+03,  ..., 1.9570e+03, 1.9580e+03,\n         1.9590e+03],\n        [1.9600e+03, 1.9610e+03, 1.9620e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])"],
  ["summarized 3d", () => ar(1320).reshape(11, 10, 12).sub(600).div(8),
    "tensor([[[-75.0000, -74.8750, -74.7500,  ..., -73.8750, -73.7500, -73.6250],\n         [-73.5000, -73.3750, -73.2500,  ..., -72.3750, -72.2500, -72.1250],\n         [-72.0000, -71.8750, -71.7500,  ..., -70.8750, -70.7500, -70.6250],\n         ...,\n         [-64.5000, -64.3750, -64.2500,  ..., -63.3750, -63.2500, -63.1250],\n         [-63.0000, -62.8750, -62.7500,  ..., -61.8750, -61.7500, -61.6250],\n         [-61.5000, -61.3750, -61.2500,  ..., -60.3750, -60.2500, -60.1250]],\n\n        [[-60.0000, -59.8750, -59.7500,  ..., -58.8750, -58.7500, -58.6250],\n         [-58.5000, -58.3750, -58.2500,  ..., -57.3750, -57.2500, -57.1250],\n         [-57.0000, -56.8750, -56.7500,  ..., -55.8750, -55.7500, -55.6250],\n         ...,\n         [-49.5000, -49.3750, -49.2500,  ..., -48.3750, -48.2500, -48.1250],\n         [-48.0000, -47.8750, -47.7500,  ..., -46.8750, -46.7500, -46.6250],\n         [-46.5000, -46.3750, -46.2500,  ..., -45.3750, -45.2500, -45.1250]],\n\n        [[-45.0000, -44.8750, -44.7500,  ..., -43.8750, -43.7500, -43.6250],\n         [-43.5000, -43.3750, -43.2500,  ..., -42.3750, -42.2500, -42.1250],\n         [-42.0000, -41.8750, -41.7500,  ..., -40.8750, -40.7500, -40.6250],\n         ...,\n         [-34.5000, -34.3750, -34.2500,  ..., -33.3750, -33.2500, -33.1250],\n         [-33.0000, -32.8750, -32.7500,  ..., -31.8750, -31.7500, -31.6250],\n         [-31.5000, -31.3750, -31.2500,  ..., -30.3750, -30.2500, -30.1250]],\n\n        ...,\n\n        [[ 45.0000,  45.1250,  45.2500,  ...,  46.1250,  46.2500,  46.3750],\n         [ 46.5000,  46.6250,  46.7500,  ...,  47.6250,  47.7500,  47.8750],\n         [ 48.0000,  48.1250,  48.2500,  ...,  49.1250,  49.2500,  49.3750],\n         ...,\n         [ 55.5000,  55.6250,  55.7500,  ...,  56.6250,  56.7500,  56.8750],\n         [ 57.0000,  57.1250,  57.2500,  ...,  58.1250,  58.2500,  58.3750],\n         [ 58.5000,  58.6250,  58.7500,  ...,  59.6250,  59.7500,  59.8750]],\n\n        [[ 60.0000,  60.1250,  60.2500,  ...,  61.1250,  61.2500,  61.3750],\n         [ 61.5000,  61.6250,  61.7500,  ...,  62.6250,  62.7500,  62.8750],\n         [ 63.0000,  63.1250,  63.2500,  ...,  64.1250,  64.2500,  64.3750],\n         ...,\n         [ 70.5000,  70.6250,  70.7500,  ...,  71.6250,  71.7500,  71.8750],\n         [ 72.0000,  72.1250,  72.2500,  ...,  73.1250,  73.2500,  73.3750],\n         [ 73.5000,  73.6250,  73.7500,  ...,  74.6250,  74.7500,  74.8750]],\n\n        [[ 75.0000,  75.1250,  75.2500,  ...,  76.1250,  76.2500,  76.3750],\n         [ 76.5000,  76.6250,  76.7500,  ...,  77.6250,  77.7500,  77.8750],\n         [ 78.0000,  78.1250,  78.2500,  ...,  79.1250,  79.2500,  79.3750],\n         ...,\n         [ 85.5000,  85.6250,  85.7500,  ...,  86.6250,  86.7500,  86.8750],\n         [ 87.0000,  87.1250,  87.2500,  ...,  88.1250,  88.2500,  88.3750],\n         [ 88.5000,  88.6250,  88.7500,  ...,  89.6250,  89.7500,  89.8750]]])"],
  ["summarized int", () => tensor(Int32Array.from({ length: 1500 }, (_, i) => i)),
    "tensor([   0,    1,    2,  ..., 1497, 1498, 1499], dtype=int32)"],
  ["empty", () => zeros([0]),
    "tensor([])"],
  ["empty 2d", () => zeros([0, 3]),
    "tensor([], size=(0, 3))"],
  ["empty int", () => tensor(new Int32Array(0)),
    "tensor([], dtype=int32)"],
  ["add", () => x.add(1),
    "tensor([[2., 3.],\n        [4., 5.]], grad_fn=<AddBackward0>)"],
  ["sum all", () => x.sum(),
    "tensor(10., grad_fn=<SumBackward0>)"],
  ["sum dim", () => x.sum(1),
    "tensor([3., 7.], grad_fn=<SumBackward1>)"],
  ["long suffix", () => ar(12).reshape(1, 12).setRequiresGrad().mul(1.5),
    "tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n         12.0000, 13.5000, 15.0000, 16.5000]], grad_fn=<MulBackward0>)"],
  ["wrap suffix", () => ar(11).mul(1.25).setRequiresGrad(),
    "tensor([ 0.0000,  1.2500,  2.5000,  3.7500,  5.0000,  6.2500,  7.5000,  8.7500,\n        10.0000, 11.2500, 12.5000], requires_grad=True)"],
  ["grad_fn relu", () => y.relu(),
    "tensor([[1., 0.],\n        [3., 4.]], grad_fn=<ReluBackward0>)"],
  ["grad_fn softmax", () => y.softmax(-1),
    "tensor([[0.9526, 0.0474],\n        [0.2689, 0.7311]], grad_fn=<SoftmaxBackward0>)"],
  ["grad_fn log_softmax", () => y.logSoftmax(-1),
    "tensor([[-0.0486, -3.0486],\n        [-1.3133, -0.3133]], grad_fn=<LogSoftmaxBackward0>)"],
  ["grad_fn max all", () => y.max(),
    "tensor(4., grad_fn=<MaxBackward1>)"],
  ["grad_fn min dim", () => y.min(1),
    "tensor([-2.,  3.], grad_fn=<MinBackward0>)"],
  ["grad_fn narrow", () => y.narrow(1, 1, 1),
    "tensor([[-2.],\n        [ 4.]], grad_fn=<SliceBackward0>)"],
  ["grad_fn permute", () => y.permute(1, 0),
    "tensor([[ 1.,  3.],\n        [-2.,  4.]], grad_fn=<PermuteBackward0>)"],
  ["grad_fn cat", () => cat([y, y], 0),
    "tensor([[ 1., -2.],\n        [ 3.,  4.],\n        [ 1., -2.],\n        [ 3.,  4.]], grad_fn=<CatBackward0>)"],
  ["grad_fn pow", () => y.pow(2),
    "tensor([[ 1.,  4.],\n        [ 9., 16.]], grad_fn=<PowBackward0>)"],
  ["grad_fn tanh", () => y.tanh(),
    "tensor([[ 0.7616, -0.9640],\n        [ 0.9951,  0.9993]], grad_fn=<TanhBackward0>)"],
  ["grad_fn neg", () => y.neg(),
    "tensor([[-1.,  2.],\n        [-3., -4.]], grad_fn=<NegBackward0>)"],
  ["grad_fn cross entropy", () => crossEntropy(y, tensor(Int32Array.of(0, 1))),
    "tensor(0.1809, grad_fn=<NllLossBackward0>)"],
];

for (const [name, make, want] of cases) {
  test(`prints like PyTorch: ${name}`, () => assert.equal(make().toString(), want));
}

test('console.log and util.inspect print the values, not the internal fields', () => {
  const t = tensor([[0.5, 1], [2, 3]]).setRequiresGrad().mul(2);
  assert.equal(inspect(t), 'tensor([[1., 2.],\n        [4., 6.]], grad_fn=<MulBackward0>)');
  assert.equal(`${t}`, inspect(t));
  assert.ok(!inspect({ t }).includes('strides'));
});
