import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { GradpathError } from '../util/errors.js';
import { downloadVerified, isOffline } from './download.js';
import { parseIdx } from './idx.js';
import { cacheDir } from './resolve.js';

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 70,000 grey 28x28 images of clothing in 10
 * classes, 60,000 for training and 10,000 for test, in MNIST's IDX files. Looked for, in order:
 *   1. the folder given with -i;
 *   2. $GRADPATH_DATA_DIR/fashion-mnist;
 *   3. /usr/share/datasets/fashion-mnist (Debian's package dataset-fashion-mnist);
 *   4. the cache ($GRADPATH_CACHE_DIR/fashion-mnist), then a download from the original site into it.
 * Each file may be gzipped or not. Downloads are checked against the SHA-256 of their unzipped
 * contents (gzip's bytes differ between mirrors; the images do not) before they are kept.
 */

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
const BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** The four files and the SHA-256 of their unzipped contents. */
const FILES = {
  trainImages: { name: 'train-images-idx3-ubyte', sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888' },
  trainLabels: { name: 'train-labels-idx1-ubyte', sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9' },
  testImages: { name: 't10k-images-idx3-ubyte', sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b' },
  testLabels: { name: 't10k-labels-idx1-ubyte', sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34' },
} as const;
type FileKey = keyof typeof FILES;

/** Images as bytes (count, height, width), row-major, and one class id per image. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface FashionMnist { train: ImageSet; test: ImageSet; dir: string }

/** The path of `name` (or `name.gz`) in dir, if there. */
function findIn(dir: string, name: string): string | null {
  for (const p of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(p)) return p;
  return null;
}

function unzipped(bytes: Uint8Array): Uint8Array {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** Reads one image set and checks it: 3-D uint8 images of the expected size, as many labels, ids < classes. */
export function readImageSet(imagesPath: string, labelsPath: string, opts: { height?: number; width?: number; classes?: number } = {}): ImageSet {
  const height = opts.height ?? 28, width = opts.width ?? 28, classes = opts.classes ?? 10;
  const imgs = parseIdx(readFile(imagesPath), imagesPath), labs = parseIdx(readFile(labelsPath), labelsPath);
  if (imgs.type !== 'uint8' || imgs.shape.length !== 3) throw new GradpathError(`${imagesPath}: expected uint8 images (count, height, width); got ${imgs.type} [${imgs.shape.join(', ')}]`);
  if (imgs.shape[1] !== height || imgs.shape[2] !== width) {
    throw new GradpathError(`${imagesPath}: images are ${imgs.shape[1]}x${imgs.shape[2]}; this model needs ${height}x${width} (Fashion-MNIST's size)`);
  }
  if (labs.type !== 'uint8' || labs.shape.length !== 1) throw new GradpathError(`${labelsPath}: expected uint8 labels (count); got ${labs.type} [${labs.shape.join(', ')}]`);
  if (labs.shape[0] !== imgs.shape[0]) throw new GradpathError(`${labelsPath} has ${labs.shape[0]} labels for the ${imgs.shape[0]} images of ${imagesPath}`);
  const labels = labs.data as Uint8Array;
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new GradpathError(`${labelsPath}: label ${labels[bad]} of image ${bad} is not one of the ${classes} classes`);
  return { images: imgs.data as Uint8Array, labels, count: imgs.shape[0], height, width };
}

function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GradpathError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Downloads one file into dir (as .gz), kept only when its unzipped contents have the right SHA-256. */
async function fetchInto(dir: string, key: FileKey, log: (m: string) => void): Promise<string> {
  const { name, sha256 } = FILES[key];
  const dest = join(dir, `${name}.gz`), tmp = `${dest}.unverified`;
  log(`downloading ${BASE_URL}${name}.gz`);
  try {
    await downloadVerified(`${BASE_URL}${name}.gz`, tmp, { timeoutMs: 120_000 });
    const got = createHash('sha256').update(unzipped(readFileSync(tmp))).digest('hex');
    if (got !== sha256) throw new Error(`its contents have SHA-256 ${got}, not ${sha256}`);
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new GradpathError(`could not download Fashion-MNIST's ${name}: ${(err as Error).message}. Install it (apt-get install dataset-fashion-mnist) or pass its folder with -i DIR`);
  }
  return dest;
}

/** Where the four files are: the first folder of the search order that holds all of them (downloading into the cache if none does). */
export async function locateFashionMnist(opts: { dir?: string; log?: (m: string) => void } = {}): Promise<Record<FileKey, string>> {
  const log = opts.log ?? (() => {});
  const keys = Object.keys(FILES) as FileKey[];
  const all = (dir: string) => {
    const found = keys.map((k) => findIn(dir, FILES[k].name));
    return found.every((p) => p) ? Object.fromEntries(keys.map((k, i) => [k, found[i]!])) as Record<FileKey, string> : null;
  };
  if (opts.dir !== undefined) {
    if (!existsSync(opts.dir)) throw new GradpathError(`-i ${opts.dir}: no such folder (give the folder holding Fashion-MNIST's four IDX files)`);
    const got = all(opts.dir);
    if (!got) {
      const missing = keys.filter((k) => !findIn(opts.dir!, FILES[k].name)).map((k) => FILES[k].name);
      throw new GradpathError(`-i ${opts.dir}: missing ${missing.join(', ')} (.gz or not)`);
    }
    return got;
  }
  const envDir = process.env.GRADPATH_DATA_DIR ? join(process.env.GRADPATH_DATA_DIR, 'fashion-mnist') : null;
  const cache = join(cacheDir(), 'fashion-mnist');
  for (const dir of [envDir, DEBIAN_DIR, cache]) {
    const got = dir && all(dir);
    if (got) return got;
  }
  if (isOffline()) throw new GradpathError('Fashion-MNIST not found and GRADPATH_OFFLINE is set: install dataset-fashion-mnist (Debian), or pass its folder with -i DIR');
  const out = {} as Record<FileKey, string>;
  for (const k of keys) out[k] = findIn(cache, FILES[k].name) ?? (await fetchInto(cache, k, log));
  return out;
}

export async function loadFashionMnist(opts: { dir?: string; log?: (m: string) => void } = {}): Promise<FashionMnist> {
  const p = await locateFashionMnist(opts);
  return {
    train: readImageSet(p.trainImages, p.trainLabels),
    test: readImageSet(p.testImages, p.testLabels),
    dir: p.trainImages.replace(/\/[^/]*$/, ''),
  };
}
