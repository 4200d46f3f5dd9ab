import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGrid, describeGrid, gridCoords, gridGroups, gridRank } from '../../src/dist/grid.js';
import { GradpathError } from '../../src/util/errors.js';

test('grid: ranks are arange(world).view(dp, pp, tp), tp fastest', () => {
  const shape = { dp: 2, pp: 3, tp: 2 };
  // The serial layout: iterate dp, then pp, then tp.
  let rank = 0;
  for (let dp = 0; dp < 2; dp++) for (let pp = 0; pp < 3; pp++) for (let tp = 0; tp < 2; tp++) {
    assert.deepEqual(gridCoords(rank, shape), { dp, pp, tp });
    assert.equal(gridRank({ dp, pp, tp }, shape), rank);
    rank++;
  }
});

test('grid: groups along each axis for dp2 x pp2 x tp2', () => {
  const shape = { dp: 2, pp: 2, tp: 2 };
  assert.deepEqual(gridGroups(shape, 'tp'), [[0, 1], [2, 3], [4, 5], [6, 7]]);
  assert.deepEqual(gridGroups(shape, 'pp'), [[0, 2], [1, 3], [4, 6], [5, 7]]);
  assert.deepEqual(gridGroups(shape, 'dp'), [[0, 4], [1, 5], [2, 6], [3, 7]]);
  // Every rank in exactly one group per axis.
  for (const axis of ['dp', 'pp', 'tp'] as const) assert.deepEqual(gridGroups(shape, axis).flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.match(describeGrid(shape), /tp groups: \[0 1\] \[2 3\] \[4 5\] \[6 7\]/);
});

test('grid: sizes must multiply to the world', () => {
  assert.throws(() => checkGrid({ dp: 2, pp: 1, tp: 2 }, 3), (e: Error) => e instanceof GradpathError && /= 4, but the job has 3 ranks/.test(e.message));
  assert.throws(() => checkGrid({ dp: 0, pp: 1, tp: 1 }, 1), GradpathError);
  checkGrid({ dp: 1, pp: 2, tp: 2 }, 4);
});
