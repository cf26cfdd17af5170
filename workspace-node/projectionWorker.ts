/**
 * The projection worker thread of one workspace: receives batches of session-log lines
 * (`{"seq":…,"rec":<journal entry>}`) from the kernel's commit path, applies their turns to the
 * query databases, and answers each batch with its id once committed. It opens its own connections
 * to messages.db, parsed_sessions.db, metrics.db and workspace.db (WAL: readers on the main thread see each
 * commit); the main thread created and migrated them before starting it.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../actors/kernel/sessionStore.js';
import { createProjector, lineTurns } from './projections.js';

export interface ProjectionBatch {
  readonly id: number;
  readonly lines: readonly string[];
}

export type ProjectionReply = { readonly done: number } | { readonly failed: number; readonly error: string };

const dir = (workerData as { dbDir: string }).dbDir;
const dbs = {
  messages: openSqlite(join(dir, 'messages.db')),
  parsed_sessions: openSqlite(join(dir, 'parsed_sessions.db')),
  metrics: openSqlite(join(dir, 'metrics.db')),
  workspace: openSqlite(join(dir, 'workspace.db')),
};
const project = createProjector(dbs);

parentPort!.on('message', (batch: ProjectionBatch | 'close') => {
  if (batch === 'close') {
    for (const db of Object.values(dbs)) db.close();
    parentPort!.close();
    return;
  }
  try {
    project(batch.lines.flatMap(lineTurns));
    parentPort!.postMessage({ done: batch.id } satisfies ProjectionReply);
  } catch (err) {
    parentPort!.postMessage({ failed: batch.id, error: String(err) } satisfies ProjectionReply);
  }
});
