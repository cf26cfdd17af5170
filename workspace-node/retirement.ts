/**
 * Tearing down a deleted workspace on a node (issue 8 item 8). The gateway records a deletion in
 * the `moe_retired` KV bucket (schemas/retirement.ts); every node watches the bucket, and also
 * reads it before hosting anything, so a deleted workspace is never hosted again. On a record:
 *
 *   1. the node stops hosting the workspace, if it does (node.ts);
 *   2. it takes the workspace's lease — free, expired, or its own — or, when another live node
 *      holds it, only removes its own local copy and leaves the rest to the holder;
 *   3. the holder deletes the workspace's durable consumer on MOE_CMD, purges its subjects from
 *      MOE_CMD, MOE_EVT and MOE_DLQ, writes `deleted.json` into the workspace's backup prefix (the
 *      backups stay, for `moe backup prune` and its deleted-workspace window), removes the local
 *      directory (and its files under a shared MOE_FILES_ROOT), purges the lease key, and marks
 *      the record `deleted` with its node id and time; the workspace leaves the registry
 *      (`moe_workspaces`, workspaceRegistry.ts), so discovery no longer reads it at start.
 * Every step is idempotent: a node that dies half-way leaves the record `deleting`, and the next
 * node to start (or to see the record) does it again.
 */
import { existsSync, rmSync } from 'node:fs';
import type { JetStreamManager } from '@nats-io/jetstream';
import { KvWatchInclude, type KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { Clock } from '../actors/kernel/index.js';
import {
  deadLetterSubject,
  legacyWorkspaceConsumerName,
  parseRetirement,
  placementKey,
  retirementKey,
  STREAMS,
  workspaceCommandFilter,
  workspaceConsumerName,
  workspaceEventFilter,
  type WorkspaceRetirement,
} from '../schemas/index.js';
import type { ObjectStore } from '../storage/index.js';
import { writeDeletedMarker } from './backup/deletedMarker.js';
import { workspaceStore } from './backup/workspaceStore.js';
import { sharedFilesDir } from './filesRoot.js';
import type { PlacementLeases } from './placement.js';
import type { WorkspaceRegistry } from './workspaceRegistry.js';
import { workspaceDir } from './workspaceHost.js';

export interface RetirementDeps {
  readonly nodeId: string;
  readonly jsm: JetStreamManager;
  readonly retiredKv: KV;
  readonly placementKv: KV;
  /** the workspace registry the torn-down workspace leaves */
  readonly registry?: WorkspaceRegistry;
  readonly leases: PlacementLeases;
  readonly store: () => ObjectStore;
  readonly dataDir: string;
  readonly filesRoot?: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** skip the lease (tests that run without placement) */
  readonly ignorePlacement?: boolean;
  /** only remove this node's local copy (the workspace was torn down already) */
  readonly localOnly?: boolean;
}

/** What one teardown did: `local` when another node holds the lease and does the rest. */
export type TeardownOutcome = 'torn-down' | 'local';

/** The workspace's deletion record, or null when it was not deleted. */
export async function retirementOf(kv: KV, org: string, ws: string): Promise<WorkspaceRetirement | null> {
  const e = await kv.get(retirementKey(org, ws));
  return e && e.operation === 'PUT' ? parseRetirement(e.value) : null;
}

function removeLocal(d: RetirementDeps, org: string, ws: string): void {
  const dir = workspaceDir(d.dataDir, org, ws);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  if (d.filesRoot !== undefined)
    rmSync(sharedFilesDir(d.filesRoot, org, ws), { recursive: true, force: true });
}

async function deleteConsumers(jsm: JetStreamManager, org: string, ws: string): Promise<void> {
  for (const name of [workspaceConsumerName(org, ws), legacyWorkspaceConsumerName(org, ws)]) {
    const info = await jsm.consumers.info(STREAMS.commands, name).catch(() => null);
    // an old-style name may be another workspace's consumer: only ours (by its filter) goes
    if (info && info.config.filter_subject === workspaceCommandFilter(org, ws))
      await jsm.consumers.delete(STREAMS.commands, name);
  }
}

/** Tears the workspace down (the caller has stopped hosting it). */
export async function tearDown(d: RetirementDeps, rec: WorkspaceRetirement): Promise<TeardownOutcome> {
  const { org, ws } = rec;
  if (d.localOnly || (!d.ignorePlacement && !(await d.leases.acquire(org, ws)))) {
    removeLocal(d, org, ws);
    return 'local';
  }
  await deleteConsumers(d.jsm, org, ws);
  const purged = {
    commands: (await d.jsm.streams.purge(STREAMS.commands, { filter: workspaceCommandFilter(org, ws) }))
      .purged,
    events: (await d.jsm.streams.purge(STREAMS.events, { filter: workspaceEventFilter(org, ws) })).purged,
    deadLetters: (await d.jsm.streams.purge(STREAMS.deadLetters, { filter: deadLetterSubject(org, ws) }))
      .purged,
  };
  const at = d.clock.now();
  await writeDeletedMarker(workspaceStore(d.store(), org, ws), {
    org,
    ws,
    deletedAt: rec.deletedAt,
    node: d.nodeId,
  });
  removeLocal(d, org, ws);
  await d.leases.release(org, ws);
  await d.placementKv.purge(placementKey(org, ws));
  await d.registry?.remove(org, ws);
  const done: WorkspaceRetirement = { ...rec, state: 'deleted', node: d.nodeId, tornDownAt: at };
  await d.retiredKv.put(retirementKey(org, ws), JSON.stringify(done));
  d.log.info({ org, ws, node: d.nodeId, purged }, 'deleted workspace torn down');
  return 'torn-down';
}

/**
 * Calls `onRecord` for every record in the bucket now (then for every new one): a record written
 * while no node ran is handled when one starts. Returns a stop function.
 */
export async function watchRetirements(
  kv: KV,
  onRecord: (rec: WorkspaceRetirement) => void,
): Promise<() => void> {
  const iter = await kv.watch({ include: KvWatchInclude.LastValue });
  void (async () => {
    for await (const e of iter) {
      if (e.operation !== 'PUT') continue;
      const rec = parseRetirement(e.value);
      if (rec) onRecord(rec);
    }
  })().catch(() => undefined);
  return () => iter.stop();
}
