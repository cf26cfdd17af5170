/**
 * The demo that `moe up --demo` runs: creates an org and workspace, opens a session, submits a
 * multi-step task to an agent on the offline `scripted` provider, and prints the result and the
 * session's event timeline, with the JSONL path to verify with `moe replay`.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { MoeClient, type RecordWithSeq } from '../../client/index.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { timeline } from '../output.js';

export async function runDemo(nc: NatsConnection, dataDir: string, print: (s: string) => void): Promise<number> {
  const client = new MoeClient(nc);
  const org = 'demo';
  const ws = 'main';
  const run = randomUUID().slice(0, 8);
  const session = `s-${run}`;
  const records: RecordWithSeq[] = [];
  const note = (r: RecordWithSeq) => records.push(r);

  print(`\nDemo: org "${org}", workspace "${ws}", session "${session}"`);
  note(await client.request({ org, ws, kind: 'org', id: org }, { id: `org-create-${org}`, type: 'org.create', data: { name: 'Demo Org' } }));
  note(await client.request({ org, ws, kind: 'org', id: org }, { id: `ws-add-${ws}`, type: 'workspace.add', data: { workspace: ws } }));
  note(await client.request({ org, ws, kind: 'session', id: session }, { id: `open-${session}`, type: 'session.open', data: { title: 'demo' } }));
  const prompt = 'Draft a launch checklist for the MOE-Agents beta';
  print(`Task: "${prompt}" → agent t-${run} (provider: scripted — offline and deterministic, not a real model)\n`);
  const { outcome, records: taskRecords } = await client.runTask(org, ws, `t-${run}`, { prompt }, { session, timeoutMs: 60_000 });
  records.push(...taskRecords);
  note(await client.request({ org, ws, kind: 'session', id: session }, { id: `close-${session}`, type: 'session.close', data: { reason: 'demo finished' } }));

  print(`Timeline (${records.length} journal records, one per turn):`);
  print(timeline(records));
  print('');
  if (outcome.type !== 'task.completed') {
    print(`Task failed: ${String(outcome.reason)}`);
    return 1;
  }
  const usage = outcome.usage as { inputTokens: number; outputTokens: number };
  print(`Result: ${String(outcome.result)}`);
  print(`Steps: ${String(outcome.steps)}, tokens in/out: ${usage.inputTokens}/${usage.outputTokens} (provider: ${String(outcome.provider)})`);
  const dir = workspaceDir(dataDir, org, ws);
  print(`Files written by the agent: ${join(dir, 'files')}`);
  print(`Session log: ${join(dir, 'sessions', `${session}.jsonl`)}`);
  print(`Verify it:   moe replay ${join(dir, 'sessions', `${session}.jsonl`)}`);
  return 0;
}
