import { defineCommand } from './args.js';
import { parsePlanModel, totalParams } from '../dist/plan-model.js';
import { checkLayout, formatBytes, layoutsThatFit, parseBytes, planLayout, type Layout, type Plan, type PlanDtype, type Recompute, type Workload } from '../dist/plan.js';
import { GradpathError } from '../util/errors.js';
import { formatTable } from '../util/format.js';

export const command = defineCommand({
  name: 'plan',
  summary: 'Memory per rank and communication per step of a distributed GPT-2 layout (dp x tp x pp, ZeRO), and the layouts that fit',
  usage: 'gradpath plan --model gpt2|gpt2-medium|gpt2-large|gpt2-xl|L,H,C --gpus N [--dp D --tp T --pp P --zero Z] [--memory 80GB] [--json]',
  description: `
Counts what one rank holds, by the Ultra-Scale Playbook's formulas: parameters, gradients and
Adam's state (fp32: 4+4+8 bytes per parameter; bf16 mixed precision: 2+2+12), divided by dp
as the ZeRO stage says; activations of its pipeline stage's blocks, s·b·h·(34 + 5·a·s/h) bytes
per block in bf16 (x2 in fp32), with and without recomputation; and the bytes each rank sends
per optimizer step for data, tensor and pipeline parallelism (ring collectives), with the
pipeline bubble (p-1)/(m+p-1). Unset among --dp/--tp/--pp: dp fills the ranks left.
With --memory, every layout of --gpus ranks that fits, best first (least recomputation, then
smallest bubble, least communication, least memory).

Examples:
  gradpath plan --model gpt2 --gpus 8 --tp 2 --zero 1 --micro-batch 4 --seq-len 1024
  gradpath plan --model gpt2-xl --gpus 8 --memory 80GB --dtype bf16
  gradpath plan --model 48,25,1600 --gpus 16 --dp 2 --tp 4 --pp 2 --json`,
  options: {
    model: { type: 'string', default: 'gpt2', placeholder: 'NAME|L,H,C', help: 'gpt2, gpt2-medium, gpt2-large, gpt2-xl, or layers,heads,width' },
    vocab: { type: 'int', min: 1, default: 50257, help: 'Vocabulary size (GPT-2: 50257)' },
    gpus: { type: 'int', min: 1, help: 'Ranks in all (default dp x tp x pp)', placeholder: 'N' },
    dp: { type: 'int', min: 1, help: 'Data-parallel ranks (default: what --gpus leaves)', placeholder: 'D' },
    tp: { type: 'int', min: 1, default: 1, help: 'Tensor-parallel ranks', placeholder: 'T' },
    pp: { type: 'int', min: 1, default: 1, help: 'Pipeline stages', placeholder: 'P' },
    zero: { type: 'choice', choices: ['0', '1', '2', '3'], default: '0', help: 'ZeRO stage over the dp ranks' },
    sp: { type: 'boolean', help: 'Sequence parallelism on the tp ranks' },
    'micro-batch': { type: 'int', min: 1, default: 1, help: 'Sequences per micro-batch per rank', placeholder: 'B' },
    'seq-len': { type: 'int', min: 1, default: 1024, help: 'Tokens per sequence', placeholder: 'S' },
    accum: { type: 'int', min: 1, default: 1, help: 'Micro-batches per optimizer step (the pipeline\'s m)', placeholder: 'M' },
    'pp-schedule': { type: 'choice', choices: ['1f1b', 'gpipe'], default: '1f1b', help: 'Pipeline schedule (activations in flight: pp for 1F1B, m for GPipe)' },
    recompute: { type: 'choice', choices: ['none', 'selective', 'full'], default: 'none', help: 'Activation recomputation' },
    dtype: { type: 'choice', choices: ['fp32', 'bf16'], default: 'fp32', help: 'fp32 (gradpath trains in it) or bf16 mixed precision' },
    memory: { type: 'string', placeholder: 'SIZE', help: 'Memory per rank (e.g. 80GB): list the layouts that fit, best first' },
    json: { type: 'boolean', help: 'Print the plan as JSON' },
  },
  run(opts) {
    const model = parsePlanModel(opts.model, opts.seqLen, opts.vocab);
    const work: Workload = { microBatch: opts.microBatch, seqLen: opts.seqLen, accum: opts.accum, dtype: opts.dtype as PlanDtype, ppSchedule: opts.ppSchedule as Workload['ppSchedule'] };
    const gpus = opts.gpus ?? (opts.dp ?? 1) * opts.tp * opts.pp;
    const dp = opts.dp ?? gpus / (opts.tp * opts.pp);
    if (!Number.isInteger(dp)) throw new GradpathError(`--gpus ${gpus} is not a multiple of tp x pp = ${opts.tp * opts.pp}; change --gpus, --tp or --pp`);
    const layout: Layout = { dp, tp: opts.tp, pp: opts.pp, zero: Number(opts.zero) as Layout['zero'], recompute: opts.recompute as Recompute, sp: Boolean(opts.sp) };
    checkLayout(model, layout, gpus);
    const plan = planLayout(model, work, layout);
    const budget = opts.memory === undefined ? undefined : parseBytes(opts.memory);
    const fits = budget === undefined ? undefined : layoutsThatFit(model, work, gpus, budget, Boolean(opts.sp));
    const psi = totalParams(model);
    if (opts.json) {
      console.log(JSON.stringify({ model: { ...model, params: psi }, workload: work, gpus, plan, ...(budget !== undefined && { memory: budget, fits }) }));
      return 0;
    }
    console.log(`${model.name}: ${model.nLayer} layers, ${model.nHead} heads, width ${model.nEmbd}, vocab ${model.vocabSize}; Ψ = ${psi.toLocaleString('en-US')} parameters (head tied to wte)`);
    console.log(`${gpus} ranks; micro-batch ${work.microBatch} x seq ${work.seqLen} x accum ${work.accum}, global batch ${plan.globalBatch} sequences; ${work.dtype}`);
    console.log('');
    console.log(planTable([plan], true));
    if (layout.zero === 3 && (layout.tp > 1 || layout.pp > 1)) console.log('(the formulas only: gradpath trains ZeRO-3 over dp alone; with --tp or --pp it runs --zero 1 or 2)');
    if (fits) {
      console.log('');
      if (fits.length === 0) console.log(`no layout of ${gpus} ranks fits in ${formatBytes(budget!)} per rank; add ranks, lower --micro-batch or --seq-len`);
      else {
        console.log(`layouts that fit in ${formatBytes(budget!)} per rank, best first (${fits.length}${fits.length > 15 ? ', first 15 shown' : ''}):`);
        console.log(planTable(fits.slice(0, 15), false));
      }
    }
    return 0;
  },
});

function planTable(plans: Plan[], detail: boolean): string {
  const header = ['dp', 'tp', 'pp', 'zero', 'recompute', 'params/rank', 'weights', 'grads', 'optimizer', 'activations', ...(detail ? ['(no recompute)'] : []), 'total/rank', 'dp comm', 'tp comm', 'pp comm', 'bubble'];
  const rows = plans.map(({ layout: l, memory: m, comm: c }) => [
    l.dp, l.tp + (l.sp ? '+sp' : ''), l.pp, l.zero, l.recompute, Math.round(m.params).toLocaleString('en-US'),
    formatBytes(m.paramBytes), formatBytes(m.gradBytes), formatBytes(m.optimizerBytes), formatBytes(m.activationBytes),
    ...(detail ? [formatBytes(m.activationBytesNoRecompute)] : []),
    formatBytes(m.totalBytes), formatBytes(c.dpBytes), formatBytes(c.tpBytes), formatBytes(c.ppBytes), `${(100 * c.bubble).toFixed(1)}%`,
  ].map(String));
  return formatTable(header, rows);
}
