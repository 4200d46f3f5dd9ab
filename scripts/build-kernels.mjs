// Compiles the AssemblyScript kernels in kernels/ to dist/kernels/*.wasm (run by `npm run build`).
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
for (const file of sources) {
  const name = file.replace(/\.ts$/, '');
  const { error, stderr } = await asc.main([join(src, file), '-o', join(out, `${name}.wasm`), '-O3', '--runtime', 'stub', '--enable', 'simd', '--enable', 'threads', '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536', '--noAssert']);
  if (error) {
    console.error(`build-kernels: ${file} failed:\n${stderr.toString()}`);
    process.exit(1);
  }
}
