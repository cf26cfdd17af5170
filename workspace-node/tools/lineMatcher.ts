/**
 * Line matchers for `search`. A literal matcher runs inline (indexOf is linear). A regex matcher
 * runs in a worker thread with a deadline: a pattern that backtracks catastrophically
 * (`(a+)+$`) would otherwise block the workspace-node's event loop, and with it every actor on it;
 * on timeout the worker is terminated and the search fails with `MOE_ERR_TOOL_TIMEOUT`.
 */
import { Worker } from 'node:worker_threads';
import { errors } from '../errors.js';

export interface LineMatcher {
  /** indexes of the lines that match */
  match(lines: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}

export function literalMatcher(text: string, ignoreCase: boolean): LineMatcher {
  const needle = ignoreCase ? text.toLowerCase() : text;
  return {
    async match(lines) {
      const hits: number[] = [];
      lines.forEach((line, i) => {
        if ((ignoreCase ? line.toLowerCase() : line).includes(needle)) hits.push(i);
      });
      return hits;
    },
    async close() {},
  };
}

// Plain JavaScript evaluated in the worker (an eval'd worker needs no build step or loader).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData.source, workerData.flags);
parentPort.on('message', (lines) => {
  const hits = [];
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) hits.push(i);
  parentPort.postMessage(hits);
});`;

/** `source` must already be a valid pattern (compile it first to report syntax errors). */
export function regexMatcher(source: string, ignoreCase: boolean, timeoutMs: number): LineMatcher {
  const deadline = performance.now() + timeoutMs;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { source, flags: ignoreCase ? 'i' : '' },
  });
  return {
    match(lines) {
      return new Promise<number[]>((resolve, reject) => {
        const timer = setTimeout(
          () => {
            cleanup();
            void worker.terminate();
            reject(
              errors.TOOL_TIMEOUT(
                `regex search ran past ${timeoutMs} ms (nested quantifiers?); narrow the pattern`,
              ),
            );
          },
          Math.max(0, deadline - performance.now()),
        );
        const onMessage = (hits: number[]) => {
          cleanup();
          resolve(hits);
        };
        const onError = (err: Error) => {
          cleanup();
          reject(err);
        };
        const cleanup = () => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.postMessage(lines);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
