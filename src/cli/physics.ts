import { backendName } from '../engine/device.js';
import { join } from 'node:path';
import { defineCommand } from './args.js';
import { commonFlags } from './flags.js';
import { leaveNoTrace } from './preflight.js';
import { GradpathError } from '../util/errors.js';
import { interruptRequested, watchInterrupt } from '../util/interrupt.js';
import { RunDir } from '../io/rundir.js';
import { augmentName, parseAugment } from '../chapters/physics/bios.js';
import { runKnowledge, runLabel, type KnowledgeConfig, type KnowledgeResult } from '../chapters/physics/knowledge.js';
import { MODEL_NAMES, type ModelSize } from '../chapters/physics/model.js';
import { makePeople } from '../chapters/physics/people.js';
import { COMPARE_VARIANTS, PRESET_CONFIGS, PRESETS, type Preset } from '../chapters/physics/presets.js';
import { attributeTable, bestLayer, comparisonSvg, meanProbe, probeTables, resultsTable } from '../chapters/physics/report.js';

const knowledge = defineCommand({
  name: 'knowledge',
  summary: 'Knowledge storage and extraction (Allen-Zhu & Li, part 3.1): pretrain on biographies, finetune QA on half the people, test the other half',
  description: `
Generates N people with six attributes and writes their biographies (bioS), pretrains a GPT on
all of them, finetunes it on the questions of a fraction of the people, and measures exact-match
answers on those people and on the others (out of distribution). Linear probes on the hidden
state at the last name token (Q-probe) and before the first value of a biography (P-probe) show
whether the attributes are stored with the name. --augment writes the biographies differently:
single, multi5 (five per person), permute (shuffled sentences), fullname (no pronouns), or a
'+' combination; --mixed trains on biographies and questions together instead of finetuning.
--compare runs the paper's set of variants and writes table.txt and compare.svg. See docs/physics.md.

Examples:
  gradpath physics knowledge --preset quick
  gradpath physics knowledge --augment multi5+permute --people 400
  gradpath physics knowledge --compare -o runs/physics/compare`,
  options: {
    preset: { type: 'choice', choices: PRESETS, default: 'default', help: 'starting configuration (quick: a minute; default: the documented scale)' },
    people: { type: 'int', min: 2, placeholder: 'N', help: 'individuals in the world' },
    values: { type: 'int', min: 2, placeholder: 'K', help: 'answer values per attribute (the first K of each list, at most 30): fewer values, more people per value' },
    augment: { type: 'string', placeholder: 'SPEC', help: "biography augmentation: single, multiK, permute, fullname or a '+' combination" },
    mixed: { type: 'boolean', help: 'mixed training: biographies and the trained people\'s questions together, no finetune' },
    model: { type: 'choice', choices: MODEL_NAMES, help: 'GPT size (tiny 2x32, small 4x64, medium 4x128, base 6x192: layers x width)' },
    'qa-share': { type: 'float', placeholder: 'S', help: 'with --mixed: the share of each batch\'s rows that are questions, in (0, 1)' },
    'qa-fraction': { type: 'float', placeholder: 'P', help: 'fraction of the people whose questions are trained on, in (0, 1)' },
    'max-steps': { ...commonFlags['max-steps'], help: 'pretraining (or mixed training) steps' },
    'finetune-steps': { type: 'int', min: 1, help: 'QA finetuning steps' },
    'lora-rank': { type: 'int', min: 0, placeholder: 'R', help: 'rank of the LoRA adapters of the second, low-rank QA finetune (0: none)' },
    'batch-size': { type: 'int', min: 1, help: 'rows per step (biographies or questions)' },
    lr: { ...commonFlags.lr, help: 'peak learning rate of pretraining and of the LoRA finetune (the full finetune uses a third of it)' },
    'eval-every': { ...commonFlags['eval-every'], help: 'measure memorisation and QA every N steps' },
    seed: { type: 'int', min: 0, help: 'seed of the world, the split, the model and the batches' },
    compare: { type: 'boolean', help: `run the variants ${COMPARE_VARIANTS.map(runLabel).join(', ')} and compare them` },
    variants: { type: 'string', placeholder: 'LIST', help: "with --compare: the variants, comma-separated augmentations, '+mixed' for mixed training (e.g. single,multi5+permute,single+mixed)" },
    out: { ...commonFlags.out, help: 'run directory (default runs/physics/<preset>-<variant>, or .../compare)' },
    resume: { ...commonFlags.resume, help: 'continue the interrupted run (or comparison) in --out' },
    force: commonFlags.force,
    json: commonFlags.json,
  },
  run: async (o) => {
    const base = PRESET_CONFIGS[o.preset as Preset];
    const config: KnowledgeConfig = {
      ...base,
      people: o.people ?? base.people,
      values: o.values ?? base.values,
      augment: augmentName(parseAugment(o.augment ?? base.augment)),
      mixed: o.mixed || base.mixed,
      model: (o.model ?? base.model) as ModelSize,
      seed: o.seed ?? base.seed,
      qaFraction: o.qaFraction ?? base.qaFraction,
      mixedQaShare: o.qaShare ?? base.mixedQaShare,
      pretrain: { ...base.pretrain, steps: o.maxSteps ?? base.pretrain.steps, batchSize: o.batchSize ?? base.pretrain.batchSize, lr: o.lr ?? base.pretrain.lr, evalEvery: o.evalEvery ?? base.pretrain.evalEvery },
      finetune: { ...base.finetune, steps: o.finetuneSteps ?? base.finetune.steps, batchSize: o.batchSize ?? base.finetune.batchSize, lr: o.lr !== undefined ? o.lr / 3 : base.finetune.lr, evalEvery: o.evalEvery ?? base.finetune.evalEvery },
      loraRank: o.loraRank ?? base.loraRank,
      loraFinetune: { ...base.loraFinetune, steps: o.finetuneSteps ?? base.loraFinetune.steps, batchSize: o.batchSize ?? base.loraFinetune.batchSize, lr: o.lr ?? base.loraFinetune.lr, evalEvery: o.evalEvery ?? base.loraFinetune.evalEvery },
    };
    if (!(config.qaFraction > 0 && config.qaFraction < 1)) throw new GradpathError(`gradpath physics knowledge: --qa-fraction must be in (0, 1); got ${config.qaFraction}`);
    if (!(config.mixedQaShare > 0 && config.mixedQaShare < 1)) throw new GradpathError(`gradpath physics knowledge: --qa-share must be in (0, 1); got ${config.mixedQaShare}`);
    if (o.compare && (o.augment !== undefined || o.mixed)) throw new GradpathError('gradpath physics knowledge: --compare runs its own set of variants; leave out --augment and --mixed');
    makePeople(config.people, config.seed, config.values); // refuses an impossible world before anything is written
    const slug = (c: Pick<KnowledgeConfig, 'augment' | 'mixed'>) => `${c.augment.replace(/\+/g, '-')}${c.mixed ? '-mixed' : ''}`;
    const out = o.out ?? join('runs', 'physics', `${o.preset}-${o.compare ? 'compare' : slug(config)}`);
    watchInterrupt();
    const say = (l: string) => (o.json ? process.stderr.write(l + '\n') : console.log(l));
    if (o.variants !== undefined && !o.compare) throw new GradpathError('gradpath physics knowledge: --variants chooses what --compare runs; add --compare');
    const variants = o.compare ? (o.variants === undefined ? COMPARE_VARIANTS : parseVariants(o.variants)).map((v) => ({ ...config, ...v })) : [config];
    say(`physics knowledge: ${config.people} people, ${config.values} values per attribute, model ${config.model}, ${config.pretrain.steps} pretraining + ${config.finetune.steps} finetune steps, QA on ${Math.round(config.qaFraction * 100)}% -> ${out}`);
    const results: KnowledgeResult[] = [];
    await leaveNoTrace(out, async () => {
      for (const [i, v] of variants.entries()) {
        const dir = o.compare ? join(out, slug(v)) : out;
        if (o.compare) say(`[${i + 1}/${variants.length}] ${runLabel(v)} -> ${dir}${o.resume ? ' (finished stages are read back)' : ''}`);
        const r = await runKnowledge(v, dir, { resume: o.resume, force: o.force, log: (l) => process.stderr.write(l + '\n'), stopRequested: interruptRequested });
        results.push(r);
        if (r.interrupted) break;
        const lora = r.lora ? `; LoRA finetune: unseen ${(100 * r.lora.qaTest).toFixed(1)}%, trained ${(100 * r.lora.qaTrain).toFixed(1)}%` : '';
        say(`${r.label}: QA on unseen people ${(100 * r.qaTest).toFixed(1)}%, trained people ${(100 * r.qaTrain).toFixed(1)}%${lora}, biographies memorised ${(100 * r.bioAcc).toFixed(1)}%`);
      }
    });
    const done = results.filter((r) => !r.interrupted);
    const table = resultsTable(done);
    say(table);
    say(`QA on unseen people, per attribute:\n${attributeTable(done)}`);
    say(probeTables(done));
    if (o.compare && done.length) {
      const dir = new RunDir(out);
      dir.writeText('table.txt', `${table}\n\nQA on unseen people, per attribute:\n${attributeTable(done)}\n\n${probeTables(done)}\n`);
      dir.writeText('compare.svg', comparisonSvg(done, `Knowledge extraction: ${config.people} people, ${config.values} values per attribute, GPT ${config.model}, QA finetune on ${Math.round(config.qaFraction * 100)}%`));
      say(`table: ${dir.path('table.txt')}, picture: ${dir.path('compare.svg')}`);
    }
    if (o.json) {
      const brief = (r: KnowledgeResult) => ({
        variant: r.label, bio_acc: r.bioAcc, qa_train_acc: r.qaTrain, qa_test_acc: r.qaTest,
        ...(r.lora && { lora_qa_train_acc: r.lora.qaTrain, lora_qa_test_acc: r.lora.qaTest }),
        q_probe: meanProbe(r.probes.q[bestLayer(r.probes.q)]), p_probe: meanProbe(r.probes.p[bestLayer(r.probes.p)]), a_probe: meanProbe(r.probes.a?.[bestLayer(r.probes.a)]), seconds: Number(r.seconds.toFixed(1)),
      });
      console.log(JSON.stringify({ ...(o.compare ? { people: config.people, model: config.model, runs: done.map(brief) } : { people: config.people, model: config.model, ...brief(done[0] ?? results[0]) }), backend: backendName() }));
    }
    return results.some((r) => r.interrupted) ? 130 : 0;
  },
});

/** 'single,multi5+permute,single+mixed' -> the variants, each augmentation in its canonical spelling. */
function parseVariants(list: string): { augment: string; mixed: boolean }[] {
  const out = list.split(',').map((item) => {
    const parts = item.trim().split('+');
    const mixed = parts.includes('mixed');
    return { augment: augmentName(parseAugment(parts.filter((p) => p !== 'mixed').join('+') || 'single')), mixed };
  });
  const labels = out.map(runLabel);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice) throw new GradpathError(`gradpath physics knowledge: --variants names '${twice}' twice`);
  return out;
}

/** `gradpath physics`: the physics-of-language-models chapter's experiments. */
export const command = defineCommand({
  name: 'physics',
  summary: 'Physics of language models: knowledge storage and extraction in a controlled experiment',
  usage: 'gradpath physics knowledge [options]',
  description: 'Controlled experiments on synthetic data (Allen-Zhu & Li). See docs/physics.md.',
  options: {},
  subcommands: [knowledge],
});
