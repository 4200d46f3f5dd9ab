import { defineCommand } from '../args.js';
import { RunDir } from '../../io/rundir.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { loadFashionMnist } from '../../data/fashion-mnist.js';
import { buildModel, type VisionNet } from '../../chapters/vision/model.js';
import { KIND, type VisionConfig } from '../../chapters/vision/train.js';
import type { PixelStats } from '../../chapters/vision/data.js';
import { writeRunPictures } from '../../chapters/vision/show.js';
import { dataFlag } from './train.js';

/** The model of a run directory's best.safetensors, with the pixel statistics it was trained with. */
export function loadRunModel(dir: string): { model: VisionNet; config: VisionConfig; stats: PixelStats; run: RunDir } {
  const run = new RunDir(dir);
  if (!run.exists('best.safetensors')) throw new GradpathError(`${run.dir} holds no best.safetensors: train there first (gradpath vision train -o ${dir})`);
  const ckpt = loadCheckpoint(run.path('best.safetensors'), { kind: KIND });
  const config = ckpt.config as unknown as VisionConfig;
  const model = buildModel(config, new Generator(0));
  model.loadStateDict(ckpt.model);
  const notes = run.readConfig<{ pixel_mean?: number; pixel_std?: number }>();
  if (typeof notes?.pixel_mean !== 'number' || typeof notes.pixel_std !== 'number') throw new GradpathError(`${run.path('config.json')} lacks pixel_mean/pixel_std: not a vision run directory`);
  return { model, config, stats: { mean: notes.pixel_mean, std: notes.pixel_std }, run };
}

export const showCommand = defineCommand({
  name: 'show',
  summary: 'Draw what a trained network sees: filters, activations, top images, features, neighbours, confusion',
  usage: 'gradpath vision show RUN_DIR [--image N]',
  variadic: true,
  options: {
    run: { type: 'string', placeholder: 'DIR', help: 'the run directory (or give it as the argument)' },
    image: { type: 'int', min: 0, default: 0, help: 'the test image whose activation maps are drawn' },
    input: dataFlag,
  },
  run: async (o, positionals) => {
    const dir = o.run ?? positionals[0];
    if (!dir) throw new GradpathError('gradpath vision show: name the run directory (gradpath vision show runs/vision/cnn)');
    const { model, config, stats, run } = loadRunModel(dir);
    const data = await loadFashionMnist({ dir: o.input, log: (l) => console.log(l) });
    if (o.image >= data.test.count) throw new GradpathError(`--image ${o.image}: the test set has ${data.test.count} images (0..${data.test.count - 1})`);
    writeRunPictures(run, data, model, stats, { valSize: config.valSize, image: o.image, log: (l) => console.log(l.replace('wrote ', `wrote ${run.dir}/`)) });
    return 0;
  },
});
