/**
 * The device thread in a browser: a dedicated Worker started by browser.ts from the engine's
 * worker. It gets the shared blocks in its first message, then serves the device exactly as
 * worker.ts does in Node (device-thread.ts), its adapter from navigator.gpu; it posts one message
 * once the Hello is written (or why it could not be), since the engine's worker cannot block while this one starts.
 */
import { serveDevice } from './device-thread.js';
import type { DeviceStart } from './browser.js';
import type { Command } from './protocol.js';

interface WorkerScope {
  onmessage: ((e: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (first) => {
  const { ctrl, data } = first.data as DeviceStart;
  scope.onmessage = null;
  const serving = serveDevice((handler) => (scope.onmessage = (e) => handler(e.data as Command[])), ctrl, data);
  void serving.then(() => scope.postMessage({ ready: true }), (e: Error) => scope.postMessage({ failed: e.message.split('\n')[0] }));
};
