/**
 * Starts a worker thread from a module next to the caller: the compiled JavaScript when it exists
 * (dist/, production), else its TypeScript source through tsx (tests and `tsx` runs, where only
 * the sources exist). The worker entry must be a plain ESM module.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** @example spawnWorker(import.meta.url, './projectionWorker', { workerData }) */
export function spawnWorker(callerUrl: string, entry: string, options: WorkerOptions = {}): Worker {
  const compiled = new URL(`${entry}.js`, callerUrl);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  // The ESM build of tsx's API (require.resolve finds the CommonJS one, which cannot register here).
  const tsx = pathToFileURL(
    createRequire(callerUrl)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const source = new URL(`${entry}.ts`, callerUrl).href;
  const bootstrap = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
