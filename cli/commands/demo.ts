/**
 * The demo that `moe up --demo` runs: creates an org and workspace, opens a session, submits a
 * task to a `coordinator` that plans it into two subtasks and runs two expert agents IN PARALLEL
 * on the offline `scripted` provider, then prints the aggregated result and the session's event
 * timeline (coordinator + both experts), with the JSONL path and the command that verifies it
 * (`node dist/cli/moe.js replay …`: `moe` is not on PATH in a clone). Then a card moves through a
 * board's lane workflow (demoBoard.ts). On a shared NATS another
 * node may host the demo's workspace: then the log is in that node's data dir, and it says so
 * rather than print a path that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { MoeClient, type RecordWithSeq } from '../../client/index.js';
import { findEvent, KV_BUCKETS, type ActorAddress, type ScriptStep } from '../../schemas/index.js';
import { nodeConfigFromEnv, sharedFilesDir, workspaceDir } from '../../workspace-node/index.js';
import { timeline } from '../output.js';
import { runBoardDemo } from './demoBoard.js';
import { moeCommandLine } from '../selfCommand.js';

const isEnd = (r: RecordWithSeq) =>
  findEvent(r.record.events, 'task.completed', 'task.failed', 'command.rejected') !== undefined;

/** An expert's script: write its part to a file, then answer. */
function expert(file: string, content: string, answer: string): ScriptStep[] {
  return [
    {
      text: `[scripted] Writing ${file}.`,
      toolCalls: [{ name: 'write_file', input: { path: file, content } }],
      delayMs: 150,
    },
    { text: `[scripted] ${answer}` },
  ];
}

/** The coordinator's planning reply: a JSON plan, as a model would write it. */
function plan(): string {
  return JSON.stringify({
    subtasks: [
      {
        prompt: 'List the risks of the beta launch',
        profile: 'default',
        script: expert(
          'notes/risks.md',
          '# Risks\n\n- load\n- onboarding\n',
          'Risks: load and onboarding (notes/risks.md).',
        ),
      },
      {
        prompt: 'Draft the beta announcement',
        profile: 'default',
        script: expert(
          'notes/announcement.md',
          '# MOE-Agents beta\n\nTeams of agents, one workspace.\n',
          'Announcement drafted (notes/announcement.md).',
        ),
      },
    ],
  });
}

/** The session log is appended just after the journal: give it a moment. */
async function appears(file: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** The node holding the workspace's placement lease, if any. */
async function leaseHolder(nc: NatsConnection, org: string, ws: string): Promise<string | null> {
  try {
    const kv = await new Kvm(nc).open(KV_BUCKETS.placement);
    const entry = await kv.get(`${org}.${ws}`);
    return entry?.operation === 'PUT' ? (entry.json<{ node?: string }>().node ?? null) : null;
  } catch {
    return null;
  }
}

export async function runDemo(
  nc: NatsConnection,
  dataDir: string,
  nodeId: string,
  print: (s: string) => void,
): Promise<number> {
  const client = new MoeClient(nc);
  const org = 'demo';
  const ws = 'main';
  const run = randomUUID().slice(0, 8);
  const session = `s-${run}`;
  const records: RecordWithSeq[] = [];
  const note = (r: RecordWithSeq) => records.push(r);

  print(`\nDemo: org "${org}", workspace "${ws}", session "${session}"`);
  note(
    await client.request(
      { org, ws, kind: 'org', id: org },
      { id: `org-create-${org}`, type: 'org.create', data: { name: 'Demo Org' } },
    ),
  );
  note(
    await client.request(
      { org, ws, kind: 'org', id: org },
      { id: `ws-add-${ws}`, type: 'workspace.add', data: { workspace: ws } },
    ),
  );
  note(
    await client.request(
      { org, ws, kind: 'session', id: session },
      { id: `open-${session}`, type: 'session.open', data: { title: 'demo' } },
    ),
  );
  const prompt = 'Draft a launch checklist for the MOE-Agents beta';
  const id = `t-${run}`;
  print(
    `Task: "${prompt}" → coordinator ${id} with two expert agents in parallel (provider: scripted — offline and deterministic, not a real model)\n`,
  );
  const coordinator: ActorAddress = { org, ws, kind: 'coordinator', id };
  const waiting = client.follow(coordinator, isEnd, { timeoutMs: 60_000 });
  await client.send(coordinator, {
    id: `task-${id}`,
    type: 'task.submit',
    data: { prompt, profile: 'default', experts: ['default'], script: [{ text: plan() }] },
    session,
  });
  const coordRecords = await waiting;
  const experts = await Promise.all(
    ['e1', 'e2'].map((ref) =>
      client
        .follow({ org, ws, kind: 'agent', id: `${id}-${ref}` }, isEnd, { timeoutMs: 10_000 })
        .catch(() => []),
    ),
  );
  records.push(...[...coordRecords, ...experts.flat()].sort((a, b) => a.seq - b.seq));
  note(
    await client.request(
      { org, ws, kind: 'session', id: session },
      { id: `close-${session}`, type: 'session.close', data: { reason: 'demo finished' } },
    ),
  );

  print(`Timeline (${records.length} turns from the journal; coordinator + experts ${id}-e1, ${id}-e2):`);
  print(timeline(records));
  print('');
  const last = coordRecords.at(-1);
  const outcome = last && findEvent(last.record.events, 'task.completed', 'task.failed');
  if (outcome?.type !== 'task.completed') {
    print(`Task failed: ${outcome?.reason ?? 'no outcome'}`);
    return 1;
  }
  const usage = outcome.usage;
  print(`Result (aggregated from ${String(outcome.subtasks)} experts):\n${outcome.result}\n`);
  print(
    `Steps: ${String(outcome.steps)} coordinator call(s), tokens in/out: ${usage.inputTokens}/${usage.outputTokens}, ` +
      `cost ${String(outcome.costMicros)} µ$, price ${String(outcome.priceMicros)} µ$ (provider: ${outcome.provider})`,
  );
  if (!(await runBoardDemo(client, org, ws, run, print))) return 1;
  const dir = workspaceDir(dataDir, org, ws);
  const log = join(dir, 'sessions', `${session}.jsonl`);
  if (await appears(log, 3000)) {
    const { filesRoot } = nodeConfigFromEnv(process.env, { dataDir });
    const files = filesRoot !== undefined ? sharedFilesDir(filesRoot, org, ws) : join(dir, 'files');
    print(`Files written by the agents: ${files}`);
    print(`Session log: ${log}`);
    print(`Verify it:   ${moeCommandLine('replay', log)}`);
    return 0;
  }
  const holder = await leaseHolder(nc, org, ws);
  const relative = join('workspaces', org, ws, 'sessions', `${session}.jsonl`);
  print(
    holder && holder !== nodeId
      ? `Workspace ${org}.${ws} is hosted by another node on this NATS (${holder}), not by this one (${nodeId}):` +
          `
its files and session log are in that node's data dir: ${relative}` +
          `
verify it there with: ${moeCommandLine('replay', '<its data dir>/' + relative)}`
      : `Session log: not found at ${log} (another node on this NATS may host ${org}.${ws}; look for ${relative} in its data dir)`,
  );
  return 0;
}
