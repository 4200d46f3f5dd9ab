/**
 * The environment Dawn's Vulkan drivers read in Node, set before the first instance is made. Native
 * code reads the process's real environment, which only the main thread's process.env writes
 * reach (a worker thread's process.env is a copy): index.ts calls this before it starts the device
 * thread, adapter.ts before it makes an instance on its own thread (the kernel tests).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWIFTSHADER_ICD } from './adapter.js';

let prepared = false;

export function prepareDawnEnvironment(): void {
  if (prepared) return;
  prepared = true;
  const env = process.env;
  // Chromium's software Vulkan driver where no driver is configured (a GPU's own ICD needs none of this)
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // The Vulkan drivers look for a Wayland display through libwayland-client, which prints "error:
  // XDG_RUNTIME_DIR is invalid or not set" twice on every start where that is unset (a server, a
  // container, CI). An empty private runtime directory answers "no display" without a word; real
  // driver errors still print. Removed at exit.
  if (!env.XDG_RUNTIME_DIR?.startsWith('/')) {
    const dir = mkdtempSync(join(tmpdir(), 'gradpath-runtime-')); // mode 0700, as the spec asks of a runtime directory
    env.XDG_RUNTIME_DIR = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
}
