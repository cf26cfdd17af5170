/**
 * Restore-to-serving time on takeover (RTO, issue 8): a workspace made by the real kernel
 * (kernelWorkspace.ts) plus ~`targetMb` of generated files is backed up to an fs object store.
 * Then, side by side in the same run:
 *
 * - **takeover from the backup**: a node with an EMPTY data dir starts with a command waiting for
 *   the workspace; it acquires the lease, restores the databases and logs, catches the actor up
 *   from MOE_EVT (the command before it, run by the baseline, is past the backup) and serves the
 *   command; the files come back in the background (restoreOnTakeover.ts);
 * - **baseline, data already local**: the same, on a data dir that already holds the workspace
 *   (copied with `cp -r`, whose time is the baseline for "files back").
 *
 * Every time runs from the call that starts the node (NATS connect, streams, lease, restore) to
 * the served turn seen on MOE_EVT, or to the node's `restore: files back` log line; the restore's
 * own phase times (logged `rtoMs`, from lease acquisition) are reported with them. The pair runs
 * `rounds` times, alternating, each on fresh dirs: the figures are medians, the spread is kept.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { publishCommand } from '../actors/kernel/index.js';
import { decodeTurns } from '../schemas/index.js';
import { FsObjectStore, type ObjectStore } from '../storage/index.js';
import {
  backupWorkspace,
  startWorkspaceNode,
  workspaceDir,
  workspaceStore,
} from '../workspace-node/index.js';
import { bytesUnder, timed } from './backup.js';
import { generateFiles } from './generatedFiles.js';
import type { KernelWorkspace } from './kernelWorkspace.js';
import { waitFor, type Bench } from './setup.js';

export interface RtoFigures {
  /** empty data dir: node start → the first command served (databases + logs restored, catch-up) */
  rto_first_turn_ms: number;
  /** baseline: the same with the workspace already on local disk */
  local_first_turn_ms: number;
  /** empty data dir: node start → every workspace file back */
  rto_files_back_ms: number;
  /** baseline for files back: `cp -r` of the whole workspace directory */
  cp_r_ms: number;
  context: {
    rounds: number;
    spread: {
      rto_first_turn_ms: number[];
      local_first_turn_ms: number[];
      rto_files_back_ms: number[];
      cp_r_ms: number[];
    };
    workspace_mb: number;
    files: number;
    turns: number;
    /** the restore's logged phase times (last round), from lease acquisition */
    logged_dbs_back_ms: number;
    logged_files_back_ms: number;
    restored_db_and_log_bytes: number;
    store: string;
  };
}

interface LogLine {
  msg?: string;
  rtoMs?: number;
  bytes?: number;
}

/** Starts a node on `dataDir` with a command already waiting; times it until that turn is seen. */
async function serveFirstTurn(
  b: Bench,
  k: KernelWorkspace,
  dataDir: string,
  store: ObjectStore,
  commandId: string,
  waitForFiles: boolean,
): Promise<{ firstTurnMs: number; filesBackMs: number | undefined; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) });
  const actor = { org: k.org, ws: k.ws, kind: 'org', id: 'o0' };
  let seenAt: number | undefined;
  const sub = b.nc.subscribe(`moe.evt.${k.org}.${k.ws}.org.o0`, {
    callback: (_err, m) => {
      if (decodeTurns(m.data).some((r) => r.cmd.id === commandId)) seenAt ??= performance.now();
    },
  });
  await b.nc.flush();
  await publishCommand(b.js, actor, { id: commandId, type: 'workspace.add', data: { workspace: commandId } });
  const t0 = performance.now();
  const node = await startWorkspaceNode({
    natsUrl: b.ns.url,
    dataDir,
    nodeId: `rto-${commandId}`,
    only: [`${k.org}.${k.ws}`],
    idleMs: 3_600_000,
    storage: store,
    logger,
  });
  try {
    await waitFor(() => seenAt !== undefined, 120_000, `the first turn after takeover (${commandId})`);
    let filesBackMs: number | undefined;
    if (waitForFiles) {
      await waitFor(() => lines.some((l) => l.msg === 'restore: files back'), 300_000, 'files back');
      filesBackMs = performance.now() - t0;
    }
    return { firstTurnMs: seenAt! - t0, filesBackMs, lines };
  } finally {
    sub.unsubscribe();
    await node.stop();
  }
}

const median = (xs: readonly number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

export async function rtoBench(
  b: Bench,
  k: KernelWorkspace,
  targetMb: number,
  tmp: string,
  rounds: number,
): Promise<RtoFigures> {
  const root = mkdtempSync(join(tmp, 'moe-bench-rto-'));
  try {
    // The workspace as its node left it, plus the generated files; then its backup.
    const source = join(root, 'source');
    execFileSync('cp', ['-r', k.dir, source]);
    const generated = generateFiles(join(source, 'files'), targetMb);
    const store = new FsObjectStore(join(root, 'store'));
    await backupWorkspace(workspaceStore(store, k.org, k.ws), {
      dir: source,
      workspace: { org: k.org, ws: k.ws },
      previous: null,
      tmpDir: root,
    });

    const spread = { rto_first_turn_ms: [], local_first_turn_ms: [], rto_files_back_ms: [], cp_r_ms: [] } as {
      [K in keyof RtoFigures['context']['spread']]: number[];
    };
    let last: { dbs: LogLine; files: LogLine } | undefined;
    for (let round = 1; round <= rounds; round++) {
      // Baseline: the data already local (cp -r of the workspace into the node's data dir).
      const localData = join(root, `local${round}`);
      const localDir = workspaceDir(localData, k.org, k.ws);
      mkdirSync(dirname(localDir), { recursive: true });
      const cpMs = timed(() => execFileSync('cp', ['-r', source, localDir]));
      const local = await serveFirstTurn(b, k, localData, store, `rto-local-${round}`, false);
      rmSync(localData, { recursive: true, force: true });

      // Takeover on an empty data dir: restore from the store.
      const emptyData = join(root, `empty${round}`);
      mkdirSync(emptyData);
      const restored = await serveFirstTurn(b, k, emptyData, store, `rto-restore-${round}`, true);
      rmSync(emptyData, { recursive: true, force: true });
      const logged = (msg: string) => restored.lines.find((l) => l.msg === msg);
      const dbs = logged('restore: databases and logs back; the kernel catches up from the journal');
      const files = logged('restore: files back');
      if (!dbs || !files) throw new Error('bench: the takeover did not restore from the backup');
      last = { dbs, files };
      spread.rto_first_turn_ms.push(Math.round(restored.firstTurnMs));
      spread.local_first_turn_ms.push(Math.round(local.firstTurnMs));
      spread.rto_files_back_ms.push(Math.round(restored.filesBackMs!));
      spread.cp_r_ms.push(Math.round(cpMs));
    }

    return {
      rto_first_turn_ms: median(spread.rto_first_turn_ms),
      local_first_turn_ms: median(spread.local_first_turn_ms),
      rto_files_back_ms: median(spread.rto_files_back_ms),
      cp_r_ms: median(spread.cp_r_ms),
      context: {
        rounds,
        spread,
        workspace_mb: Math.round(bytesUnder(source) / 1e5) / 10,
        files: generated.paths.length,
        turns: k.turns,
        logged_dbs_back_ms: last!.dbs.rtoMs ?? NaN,
        logged_files_back_ms: last!.files.rtoMs ?? NaN,
        restored_db_and_log_bytes: last!.dbs.bytes ?? NaN,
        store: 'FsObjectStore in a temp dir on the same disk; node in this process, its own data dir',
      },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
