import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, rand, tensor, gradcheck, attentionSoftmax, crossEntropy, layerNorm, batchNorm, embedding, cat, stack, where, maskedFill, tril, triu, Generator, topk, gather } from '../../src/engine/index.js';

const gen = new Generator(42);
const param = (shape: number[], scale = 1) => randn(shape, { generator: gen }).mul(scale).detach().setRequiresGrad();
const positive = (shape: number[]) => rand(shape, { generator: gen }).add(0.5).detach().setRequiresGrad();

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol = 2e-2) {
  test(`gradcheck: ${name}`, () => {
    const { maxError, worst } = gradcheck(fn, inputs);
    assert.ok(maxError < tol, `${name}: max error ${maxError.toExponential(2)} (${worst})`);
  });
}

// elementwise, same shape and broadcasting
check('add broadcast', (a, b) => a.add(b), [param([3, 4]), param([4])]);
check('sub broadcast', (a, b) => a.sub(b), [param([2, 1, 3]), param([4, 1])]);
check('mul broadcast', (a, b) => a.mul(b), [param([3, 4]), param([3, 1])]);
check('div', (a, b) => a.div(b), [param([3, 4]), positive([3, 4])]);
check('div broadcast scalar tensor', (a, b) => a.div(b), [param([2, 3]), positive([])]);
check('neg', (a) => a.neg(), [param([5])]);
check('pow scalar', (a) => a.pow(3), [param([5])]);
check('pow square', (a) => a.pow(2), [param([2, 3])]);
check('pow tensor', (a, b) => a.pow(b), [positive([4]), param([4])]);
check('exp', (a) => a.exp(), [param([6])]);
check('log', (a) => a.log(), [positive([6])]);
check('sqrt', (a) => a.sqrt(), [positive([6])]);
check('tanh', (a) => a.tanh(), [param([6])]);
check('sigmoid', (a) => a.sigmoid(), [param([6])]);
check('relu', (a) => a.relu(), [param([8]).add(0.05).detach().setRequiresGrad()]);
check('gelu', (a) => a.gelu(), [param([8])]);
check('abs', (a) => a.abs(), [param([8])]);
check('clamp', (a) => a.clamp(-0.5, 0.5), [param([8])]);
check('maximum/minimum', (a, b) => a.maximum(b).add(a.minimum(b).mul(2)), [param([6]), param([6])]);
check('where', (a, b) => where(a.gt(0), a.mul(2), b), [param([3, 4]), param([4])]);
check('masked_fill', (a) => maskedFill(a, tril(tensor([[1, 1], [1, 1]])).eq(0), 0), [param([3, 2, 2])]);
check('tril/triu', (a) => tril(a).add(triu(a, 1).mul(3)), [param([3, 3])]);

// reductions
check('sum all', (a) => a.sum(), [param([3, 4])]);
check('sum dims keepdim', (a) => a.sum([0, 2], true), [param([2, 3, 4])]);
check('mean', (a) => a.mean(1), [param([3, 4])]);
check('var', (a) => a.var(-1), [param([3, 5])]);
check('max dim', (a) => a.max(1), [param([3, 5])]);
check('min all', (a) => a.min(), [param([4, 2])]);
check('softmax', (a) => a.softmax(-1), [param([3, 5])]);
check('softmax dim 0', (a) => a.softmax(0), [param([3, 5])]);
check('log_softmax', (a) => a.logSoftmax(-1), [param([3, 5])]);

// views
check('reshape/permute', (a) => a.reshape(4, 3).permute(1, 0).mul(a.reshape(3, 4)), [param([2, 6])]);
check('transpose non-contiguous then sum', (a) => a.transpose(0, 2).contiguous().reshape(-1), [param([2, 3, 4])]);
check('expand', (a) => a.expand(3, 4, 2), [param([4, 1])]);
check('narrow', (a) => a.narrow(1, 1, 2), [param([3, 4])]);
check('split/chunk', (a) => { const [x, y] = a.chunk(2, 1); return x.mul(y); }, [param([2, 4])]);
check('cat/stack', (a, b) => cat([a, b], 1).add(stack([a, a], 0).sum(0).narrow(1, 0, 1)), [param([2, 3]), param([2, 2])]);
check('squeeze/unsqueeze', (a) => a.unsqueeze(1).squeeze(1), [param([3, 2])]);

// matmul, including transposed operands and batch broadcasting
check('matmul 2d', (a, b) => a.matmul(b), [param([3, 4]), param([4, 5])]);
check('matmul transposed', (a, b) => a.T.matmul(b.T), [param([4, 3]), param([5, 4])]);
check('matmul batched', (a, b) => a.matmul(b), [param([2, 3, 4]), param([2, 4, 5])]);
check('matmul broadcast batch', (a, b) => a.matmul(b), [param([2, 1, 3, 4]), param([3, 4, 2])]);
check('matmul (B,T,C)@(C,D)', (a, b) => a.matmul(b), [param([2, 3, 4]), param([4, 5])]);
// PyTorch's 1-D rules: dot product, a vector on either side (with and without batch dims)
check('matmul (k)@(k) dot', (a, b) => a.matmul(b), [param([4]), param([4])]);
check('matmul (k)@(k,n)', (a, b) => a.matmul(b), [param([4]), param([4, 3])]);
check('matmul (k)@(B,k,n)', (a, b) => a.matmul(b), [param([4]), param([2, 4, 3])]);
check('matmul (m,k)@(k)', (a, b) => a.matmul(b), [param([3, 4]), param([4])]);
check('matmul (B,m,k)@(k)', (a, b) => a.matmul(b), [param([2, 3, 4]), param([4])]);
// broadcast batch dims: each broadcast dim's gradient is summed
check('matmul (2,1,3,4)@(5,4,6)', (a, b) => a.matmul(b), [param([2, 1, 3, 4]), param([5, 4, 6])]);
check('matmul (m,k)@(B,k,n)', (a, b) => a.matmul(b), [param([3, 4]), param([2, 4, 5])]);
check('matmul (B,1,m,k)@(1,C,k,n) transposed', (a, b) => a.matmul(b.transpose(-1, -2)), [param([2, 1, 3, 4]), param([1, 3, 5, 4])]);
check('matmul non-contiguous (B,T,C)@(C,D)', (a, b) => a.transpose(0, 1).matmul(b), [param([3, 2, 4]), param([4, 5])]);

// indexing
check('embedding', (w) => embedding(w, tensor(new Int32Array([1, 0, 1, 3]), [2, 2])), [param([4, 3])]);
check('indexSelect dim 1', (w) => w.indexSelect(1, tensor(new Int32Array([2, 0, 2]))), [param([2, 3])]);
check('gather', (x) => gather(x, 1, tensor(new Int32Array([0, 2, 1, 1]), [2, 2])), [param([2, 3])]);
check('topk values', (x) => topk(x, 2).values, [param([3, 5])]);

// fused nn ops
check('cross_entropy with ignore', (x) => crossEntropy(x, tensor(new Int32Array([1, -1, 4, 0]))), [param([4, 5])]);
check('cross_entropy 3d', (x) => crossEntropy(x, tensor(new Int32Array([1, 2, 0, 3, 3, 1]), [2, 3])), [param([2, 3, 4])]);
check('layer_norm', (x, w, b) => layerNorm(x, w, b), [param([3, 6]), param([6]), param([6])]);
check('layer_norm no affine', (x) => layerNorm(x, null, null), [param([2, 3, 5])]);
check('batch_norm (N, C)', (x, w, b) => batchNorm(x, null, null, w, b, true), [param([5, 3]), param([3]), param([3])]);
check('batch_norm (N, C, L)', (x) => batchNorm(x, null, null, null, null, true), [param([4, 2, 3])]);
check('attention softmax, causal', (x) => attentionSoftmax(x, 0.5, true), [param([2, 3, 3])]);
check('attention softmax, causal with cache offset', (x) => attentionSoftmax(x, 0.7, true), [param([2, 2, 4])]);
check('attention softmax, bidirectional', (x) => attentionSoftmax(x, 0.3, false), [param([3, 4])]);
