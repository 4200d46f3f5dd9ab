// Compiles the AssemblyScript kernels in kernels/ to dist/kernels/*.wasm (run by `npm run build`).
// Each kernel is built twice: NAME.wasm with plain SIMD, and NAME-relaxed.wasm with relaxed SIMD
// (fused multiply-add), which the loader uses only where the engine validates it.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'kernels');
const out = join(root, 'dist', 'kernels');
mkdirSync(out, { recursive: true });
const sources = existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.ts')) : [];
if (sources.length === 0) process.exit(0);
const asc = await import('assemblyscript/asc');
// Memory is imported and shared so worker threads can instantiate the same module over it;
// the maximum (65536 pages = 4 GiB, all of wasm32) must match the WebAssembly.Memory the loader creates.
const common = ['-O3', '--runtime', 'stub', '--enable', 'simd', '--enable', 'threads', '--importMemory', '--sharedMemory',
  '--initialMemory', '1', '--maximumMemory', '65536', '--noAssert'];
const variants = [['', []], ['-relaxed', ['--enable', 'relaxed-simd']]];
for (const file of sources) {
  const name = file.replace(/\.ts$/, '');
  for (const [suffix, extra] of variants) {
    const { error, stderr } = await asc.main([join(src, file), '-o', join(out, `${name}${suffix}.wasm`), ...common, ...extra]);
    if (error) {
      console.error(`build-kernels: ${file}${suffix} failed:\n${stderr.toString()}`);
      process.exit(1);
    }
  }
}
