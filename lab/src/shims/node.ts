/**
 * What a page gets for every `node:` import in src/: the CLI's file, process and thread helpers,
 * which the lab never calls (it reads files through fetch and drops, and runs workers itself).
 * A call says plainly what happened instead of failing somewhere deep in a bundle.
 */
function unavailable(name: string): (...args: unknown[]) => never {
  return () => {
    throw new Error(`${name} is not available in the browser (a Node-only path of gradpath was reached from the lab)`);
  };
}

// node:fs
export const readFileSync = unavailable('fs.readFileSync'), existsSync = unavailable('fs.existsSync'), statSync = unavailable('fs.statSync');
export const mkdirSync = unavailable('fs.mkdirSync'), renameSync = unavailable('fs.renameSync'), writeSync = unavailable('fs.writeSync');
export const openSync = unavailable('fs.openSync'), fsyncSync = unavailable('fs.fsyncSync'), closeSync = unavailable('fs.closeSync');
export const rmSync = unavailable('fs.rmSync'), readSync = unavailable('fs.readSync'), readdirSync = unavailable('fs.readdirSync');
export const appendFileSync = unavailable('fs.appendFileSync'), fstatSync = unavailable('fs.fstatSync'), writeFileSync = unavailable('fs.writeFileSync');
export const accessSync = unavailable('fs.accessSync'), rmdirSync = unavailable('fs.rmdirSync'), mkdtempSync = unavailable('fs.mkdtempSync');
export const constants = {};
// node:path
export const join = unavailable('path.join'), resolve = unavailable('path.resolve'), dirname = unavailable('path.dirname');
export const relative = unavailable('path.relative'), isAbsolute = unavailable('path.isAbsolute'), basename = unavailable('path.basename');
// node:os
export const availableParallelism = () => navigator.hardwareConcurrency || 1;
export const homedir = unavailable('os.homedir'), tmpdir = unavailable('os.tmpdir'), totalmem = unavailable('os.totalmem'), cpus = unavailable('os.cpus'), loadavg = unavailable('os.loadavg');
// node:v8, node:vm: the CLI raises V8 flags and forces collections; a browser decides both itself
export const setFlagsFromString = () => {};
export const runInNewContext = unavailable('vm.runInNewContext');
// node:worker_threads, node:child_process
export class Worker {
  constructor() {
    throw new Error('node:worker_threads is not available in the browser (the lab starts Web Workers itself)');
  }
}
export const parentPort = null, workerData = null;
export const spawn = unavailable('child_process.spawn'), spawnSync = unavailable('child_process.spawnSync'), execFileSync = unavailable('child_process.execFileSync');
// node:url, node:module, node:crypto, node:util, node:readline
// Pure conversions, and one runs as a module loads (src/backends/native names its addon's path): keep them working.
export const fileURLToPath = (u: string | URL) => decodeURIComponent(new URL(String(u)).pathname);
export const pathToFileURL = (p: string) => new URL(`file://${encodeURI(p)}`);
export const createRequire = unavailable('module.createRequire'), createHash = unavailable('crypto.createHash');
export const parseArgs = unavailable('util.parseArgs'), createInterface = unavailable('readline.createInterface');
export default {};
