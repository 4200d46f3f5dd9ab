/**
 * The slice of the WebAssembly JS API this backend uses, typed here because the project's
 * tsconfig (lib ES2022, no DOM) and @types/node 20 do not declare the WebAssembly global.
 * Module-local types avoid clashing with a global declaration should one appear later.
 */
export interface WasmModule { readonly __brand?: 'WebAssembly.Module' }
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer; // always shared here
  grow(deltaPages: number): number;
}
export interface WasmGlobal { readonly value: unknown }
export interface WasmInstance { readonly exports: Record<string, unknown> }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  /** Compiles synchronously (Node allows it on any thread, for modules of any size). */
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
