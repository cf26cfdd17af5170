/**
 * A workspace whose state was made by the real kernel, for the backup and RTO benches: `turns`
 * commands (an `org.create` and then `workspace.add`s, spread over `actors` org actors) are stored
 * in MOE_CMD, a node hosts the workspace until every turn is journaled, committed and logged, and
 * then stops. Its directory (`db/`, `sessions/`) and journal are what a node leaves behind.
 */
import { publishCommand } from '../actors/kernel/index.js';
import { workspaceDir } from '../workspace-node/index.js';
import { pipelined, waitFor, type Bench } from './setup.js';

export interface KernelWorkspace {
  readonly org: string;
  readonly ws: string;
  /** `<bench data dir>/workspaces/<org>/<ws>`, its node stopped */
  readonly dir: string;
  readonly turns: number;
  readonly actors: number;
}

export async function kernelWorkspace(
  b: Bench,
  org: string,
  ws: string,
  actors: number,
  turns: number,
): Promise<KernelWorkspace> {
  await pipelined(turns, 512, async (n) => {
    const actor = n % actors;
    const k = Math.floor(n / actors);
    const cmd =
      k === 0
        ? { id: `c${k}`, type: 'org.create', data: { name: `org ${actor}` } }
        : { id: `c${k}`, type: 'workspace.add', data: { workspace: `w${k}` } };
    await publishCommand(b.js, { org, ws, kind: 'org', id: `o${actor}` }, cmd);
  });
  const node = await b.node([`${org}.${ws}`]);
  const host = await node.waitForWorkspace(org, ws);
  await waitFor(() => host.kernel.stats.turns >= turns, 300_000, `${turns} turns in ${org}.${ws}`);
  await node.stop();
  return { org, ws, dir: workspaceDir(b.dataDir, org, ws), turns, actors };
}
