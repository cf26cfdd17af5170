/**
 * Line matchers for `search`. A literal matcher runs inline (indexOf is linear). A regex matcher
 * runs in a worker thread with a deadline: a pattern that backtracks catastrophically
 * (`(a+)+$`) would otherwise block the workspace-node's event loop, and with it every actor on it;
 * on timeout the worker is terminated and the search fails with `MOE_ERR_TOOL_TIMEOUT`.
 */
import { Worker } from 'node:worker_threads';
import { errors } from '../errors.js';

export interface LineMatcher {
  /** resolves once the matcher can run (a regex matcher's worker is up): time limits start then */
  readonly ready: Promise<void>;
  /** indexes of the lines that match */
  match(lines: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}

export function literalMatcher(text: string, ignoreCase: boolean): LineMatcher {
  const needle = ignoreCase ? text.toLowerCase() : text;
  return {
    ready: Promise.resolve(),
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

/** How long a regex worker may take to start (a busy machine) before the search gives up. */
const WORKER_START_LIMIT_MS = 30_000;

/**
 * `source` must already be a valid pattern (compile it first to report syntax errors). The
 * `timeoutMs` budget starts when the worker is up: starting a thread takes from a few ms to, on a
 * loaded machine, more than the budget itself, and that is not the pattern's time.
 */
export function regexMatcher(source: string, ignoreCase: boolean, timeoutMs: number): LineMatcher {
  let deadline = Infinity;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { source, flags: ignoreCase ? 'i' : '' },
  });
  let startTimer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('online', () => {
      deadline = performance.now() + timeoutMs;
      resolve();
    });
    worker.once('error', reject);
    startTimer = setTimeout(
      () => reject(errors.TOOL_TIMEOUT(`the regex worker did not start within ${WORKER_START_LIMIT_MS} ms`)),
      WORKER_START_LIMIT_MS,
    );
  }).finally(() => clearTimeout(startTimer));
  ready.catch(() => void worker.terminate());
  return {
    ready,
    async match(lines) {
      await ready;
      return matchLines(lines);
    },
    async close() {
      clearTimeout(startTimer);
      await worker.terminate();
    },
  };

  function matchLines(lines: readonly string[]): Promise<number[]> {
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
  }
}
