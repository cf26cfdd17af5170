/**
 * kill -9 of a workspace-node during a slow effect: after a (new) node takes the workspace over,
 * the task completes with exactly one result, no duplicate turns in the journal, and one result per
 * effect. The node is a real `moe node` child process, killed by pid.
 *
 * Under load, several kill -9s: how often an effect ran more than once. LLM calls are counted by
 * the provider wire fake (the real Anthropic SDK talks to it), per effect (agent + step); tool runs
 * are counted on disk (each step's `edit_file` appends its own line, so a re-applied edit shows).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceDir } from '../../workspace-node/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import {
  type Platform,
  assertCleanJournal,
  eventually,
  exited,
  startPlatform,
  tempDir,
} from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('workspace-node killed with SIGKILL', () => {
  it('re-drives the interrupted effect after restart and completes the task exactly once', async () => {
    const first = p.spawnNode('node-a');
    const agent = { org: 'chaos', ws: 'k1', kind: 'agent', id: 'slow' };
    await p.client.send(agent, {
      id: 'task-slow',
      type: 'task.submit',
      data: {
        prompt: 'survive a crash',
        script: [
          {
            text: 'writing',
            toolCalls: [{ name: 'write_file', input: { path: 'a.txt', content: 'before the crash' } }],
          },
          { text: 'slow final answer', delayMs: 4000 },
        ],
      },
    });
    // Wait until the slow LLM call (step 2) has started: the tool result turn is journaled.
    await eventually(
      async () => {
        const recs = await p.records('moe.evt.chaos.k1.>');
        return recs.some((r) => r.record.events.some((e) => e.type === 'tool.finished')) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'tool result journaled' },
    );
    first.kill('SIGKILL');
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL');

    const second = p.spawnNode('node-b');
    const records = await eventually(
      async () => {
        const recs = await p.records('moe.evt.chaos.k1.>');
        return recs.some((r) => r.record.events.some((e) => e.type === 'task.completed')) ? recs : undefined;
      },
      { timeoutMs: 45_000, what: 'task.completed after restart' },
    );
    // Give a duplicate (if any) time to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 1500));
    const all = await p.records('moe.evt.chaos.k1.>');
    second.kill('SIGTERM');
    await exited(second);

    expect(records.length).toBeGreaterThan(0);
    expect(assertCleanJournal(all, agent)).toBeNull();
    expect(all.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed')).toHaveLength(1);
    const resultIds = all
      .filter((r) => r.record.cmd.type.startsWith('effect.'))
      .map((r) => String(r.record.cmd.data?.effectId));
    expect(new Set(resultIds).size).toBe(resultIds.length);
    const started = all.flatMap((r) => r.record.effects.map((e) => e.id));
    expect(resultIds.sort()).toEqual([...started].sort());
  });
});

/** Agents × steps of the load: each agent writes its file, then appends one line per step. */
const AGENTS = 10;
const STEPS = 5;
const KILLS = 4;
/** a reply that left the provider this shortly before a kill was in flight at the kill (ms) */
const ON_THE_WIRE_MS = 1000;

interface WireMessage {
  role: string;
  content: unknown;
}

/** The effect an Anthropic request is for: the agent (its prompt) and the step (replies so far). */
function effectOf(body: Record<string, unknown>): { agent: string; step: number } {
  const messages = (body.messages ?? []) as WireMessage[];
  const first = messages[0]?.content;
  const text =
    typeof first === 'string'
      ? first
      : ((first as Array<{ text?: string }> | undefined)?.map((b) => b.text ?? '').join('') ?? '');
  return { agent: text.replace(/^agent /, ''), step: messages.filter((m) => m.role === 'assistant').length };
}

/** The model of the load: write the file, append `e<step>` before the end marker, then answer. */
function loadReply(body: Record<string, unknown>) {
  const { agent, step } = effectOf(body);
  const path = `${agent}.txt`;
  const toolCalls =
    step === 0
      ? [{ name: 'write_file', input: { path, content: 'start\n<END>' } }]
      : step <= STEPS
        ? [{ name: 'edit_file', input: { path, old: '<END>', new: `e${step}\n<END>` } }]
        : [];
  return fakeReply({
    text: toolCalls.length ? `step ${step} of ${agent} goes on` : `done ${agent}`,
    toolCalls,
    usage: { input: 20, output: 5 },
    chunkDelayMs: 25,
  });
}

describe('effects under kill -9', () => {
  it('several kill -9s under load re-run no tool, and no LLM call whose reply the node had received', async () => {
    const fake: FakeProviderServer = await startFakeProviderServer({
      respond: (_r, body) => loadReply(body),
    });
    const data = tempDir('moe-kill-load-');
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.anthropicBaseURL };
    const ws = { org: 'chaos', ws: 'load' };
    const agents = Array.from({ length: AGENTS }, (_, i) => `a${i}`);
    const killedAt: number[] = [];
    try {
      let node = p.spawnNode('load-0', data.path, env);
      for (const id of agents)
        await p.client.send(
          { ...ws, kind: 'agent', id },
          { id: `task-${id}`, type: 'task.submit', data: { prompt: `agent ${id}` } },
        );
      for (let k = 1; k <= KILLS; k++) {
        // Kill once the new node is working: some requests past the previous kill have been answered.
        const seen = fake.completed.length;
        await eventually(() => (fake.completed.length >= seen + 3 ? true : undefined), {
          timeoutMs: 60_000,
          what: `node ${k - 1} at work`,
        });
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
        killedAt.push(Date.now());
        node.kill('SIGKILL');
        await exited(node);
        node = p.spawnNode(`load-${k}`, data.path, env);
      }
      const done = await eventually(
        async () => {
          const recs = await p.records('moe.evt.chaos.load.>');
          const completed = recs.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed');
          return completed.length >= AGENTS ? recs : undefined;
        },
        { timeoutMs: 120_000, what: 'every task completed' },
      );
      await new Promise((r) => setTimeout(r, 1500)); // room for a late duplicate
      const all = await p.records('moe.evt.chaos.load.>');
      node.kill('SIGTERM');
      await exited(node);

      // LLM calls per effect (agent + step), as the provider saw them.
      const key = (b: Record<string, unknown>) => {
        const e = effectOf(b);
        return `${e.agent}#${e.step}`;
      };
      const llmEffects = AGENTS * (STEPS + 2);
      const requested = new Set(fake.requests.map((r) => key(r.body)));
      const answered = new Set(fake.completed.map((r) => key(r.body)));
      const extraRequests = fake.requests.length - requested.size;
      // A reply delivered again for the same effect: paid twice. The node that asked for the first
      // one is the one alive when it was requested; if that node was killed before the reply left
      // the fake, or less than ON_THE_WIRE_MS after (its event loop is busy under load), it never
      // read it — the reply was in flight at the kill, like a request the kill cut off, and nothing
      // can reuse a reply that was never received. Otherwise the node had it: a re-run.
      const firstDelivery = new Map<string, { at: number; finishedAt: number }>();
      let extraLlm = 0;
      let onTheWire = 0;
      for (const r of [...fake.completed].sort((a, b) => a.finishedAt - b.finishedAt)) {
        const first = firstDelivery.get(key(r.body));
        if (first === undefined) {
          firstDelivery.set(key(r.body), r);
          continue;
        }
        const askerKilled = killedAt.find((k) => k >= first.at);
        if (askerKilled !== undefined && askerKilled - first.finishedAt < ON_THE_WIRE_MS) onTheWire++;
        else extraLlm++;
      }
      const cutOff = extraRequests - extraLlm - onTheWire;
      // Tool runs per effect, on disk: each step's line appears once per application.
      const files = join(workspaceDir(data.path, ws.org, ws.ws), 'files');
      let toolRuns = 0;
      let extraTools = 0;
      for (const id of agents) {
        const lines = readFileSync(join(files, `${id}.txt`), 'utf8').split('\n');
        for (let step = 1; step <= STEPS; step++) {
          const n = lines.filter((l) => l === `e${step}`).length;
          expect(n, `${id} step ${step} applied`).toBeGreaterThan(0);
          toolRuns += n;
          extraTools += n - 1;
        }
      }
      console.log(
        `kill -9 under load: kills=${KILLS} effects=${llmEffects + AGENTS * (STEPS + 1)} ` +
          `(llm=${llmEffects}, tools=${AGENTS * (STEPS + 1)}) extra LLM calls=${extraLlm} ` +
          `(${((100 * extraLlm) / llmEffects).toFixed(2)}%) extra tool runs=${extraTools} ` +
          `(edits on disk=${toolRuns}); re-sent because in flight at a kill: cut off=${cutOff}, ` +
          `reply on the wire=${onTheWire} (${(extraRequests / KILLS).toFixed(1)} per kill)`,
      );

      expect(done.length).toBeGreaterThan(0);
      for (const id of agents) expect(assertCleanJournal(all, { ...ws, kind: 'agent', id })).toBeNull();
      const completions = all.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed');
      expect(completions).toHaveLength(AGENTS);
      expect(answered.size).toBe(llmEffects);
      expect(extraTools).toBe(0);
      expect(extraLlm / llmEffects).toBeLessThanOrEqual(0.001);
    } finally {
      await fake.close();
      data.remove();
    }
  }, 300_000);
});
