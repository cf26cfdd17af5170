/**
 * `moe task` over NATS from the command line (a real child process), and live deltas: an agent's
 * reply text also streams, coalesced, on moe.live.<org>.<ws>.agent.<id> for live views.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSubject } from '../../schemas/index.js';
import { MOE_BIN, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
  await p.node({ nodeId: 'cli' });
});
afterAll(async () => p?.close());

function moe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MOE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr })); // close: all output read
  });
}

describe('moe task', () => {
  it('submits a task, waits for it and prints the outcome as JSON', async () => {
    const r = await moe([
      'task',
      'plan the week',
      '--org',
      'cli',
      '--workspace',
      'w',
      '--id',
      'j1',
      '--wait',
      '--json',
      '--nats',
      p.ns.url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      task: string;
      outcome: { type: string; result: string; provider: string };
      records: Array<{ seq: number; turn: number }>;
    };
    expect(out.task).toBe('j1');
    expect(out.outcome).toMatchObject({ type: 'task.completed', provider: 'scripted' });
    expect(out.records.map((x) => x.turn)).toEqual(out.records.map((_, i) => i + 1));
  });

  it('without --wait prints the subject and sequence it published to', async () => {
    const r = await moe([
      'task',
      'later',
      '--org',
      'cli',
      '--workspace',
      'w',
      '--id',
      'j2',
      '--nats',
      p.ns.url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/submitted task j2 \(MOE_CMD seq \d+\) on moe\.cmd\.cli\.w\.agent\.j2/);
  });

  it('refuses a bad token with a usage error (exit 2) and an unreachable server with its code', async () => {
    const bad = await moe(['task', 'x', '--org', 'no.dots', '--workspace', 'w', '--nats', p.ns.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('MOE_ERR_USAGE');
    const down = await moe(['task', 'x', '--org', 'o', '--workspace', 'w', '--nats', 'nats://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('MOE_ERR_NATS_UNREACHABLE');
  });
});

describe('live deltas', () => {
  it('streams the reply text, coalesced, on the live subject while the journal gets the final message', async () => {
    const actor = { org: 'cli', ws: 'live', kind: 'agent', id: 'l1' };
    const deltas: Array<{ effectId: string; text: string }> = [];
    const sub = p.nc.subscribe(liveSubject(actor), {
      callback: (_e, m) => {
        deltas.push(m.json<{ effectId: string; text: string }>());
      },
    });
    const script = [{ text: 'one two three four five six seven eight nine ten' }];
    const { outcome, records } = await p.client.runTask('cli', 'live', 'l1', { prompt: 'stream', script });
    await p.nc.flush();
    sub.unsubscribe();
    expect(outcome.type).toBe('task.completed');
    const replied = records.flatMap((r) => r.record.events).find((e) => e.type === 'agent.replied')!;
    expect(deltas.map((d) => d.text).join('')).toBe(replied.text);
    expect(deltas.length).toBeLessThan(10); // coalesced, not one message per word
  });
});
