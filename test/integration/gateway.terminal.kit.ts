/**
 * What the card terminal tests share: a plain `ws` client that collects a terminal's frames and how
 * its socket ended, and a stand-in for the card actor (built on branch i-boards) that writes the
 * card's journal entries to MOE_EVT exactly as the kernel does (JournalEntry v2 on
 * `moe.evt.<org>.<ws>.card.<id>`, with expected-last-subject-sequence), and starts real agent tasks
 * on the scripted provider for the agents its `run.started` events name.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import WebSocket from 'ws';
import { WORKSPACE_SESSION } from '../../actors/kernel/index.js';
import type { Bus } from '../../gateway/bus.js';
import { newTaskId } from '../../gateway/crypto.js';
import {
  eventSubject,
  type ActorAddress,
  type DomainEvent,
  type JournalEntry,
  type ScriptStep,
} from '../../schemas/index.js';

export interface Frame {
  type: 'log' | 'status' | 'metrics' | 'error';
  data: Record<string, unknown> & { metadata?: Record<string, unknown> };
  seq?: number;
  cursor?: string;
}

export interface TerminalClient {
  readonly frames: Frame[];
  /** resolves with the close code once the socket is closed */
  readonly closed: Promise<number>;
  close(): Promise<void>;
}

/** Opens a terminal socket; resolves with its client, or with the HTTP status that refused the upgrade. */
export function openTerminal(url: string): Promise<TerminalClient | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const frames: Frame[] = [];
    const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
    socket.on('message', (data) => frames.push(JSON.parse((data as Buffer).toString()) as Frame));
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('error', reject);
    socket.on('open', () =>
      resolve({
        frames,
        closed,
        close: async () => {
          if (socket.readyState !== socket.CLOSED) socket.close();
          await closed;
        },
      }),
    );
  });
}

export const isDelta = (f: Frame) => f.type === 'log' && f.data.metadata?.delta === true;
export const journalFrames = (fs: Frame[]) => fs.filter((f) => f.cursor !== undefined);

/** The card actor as the test plays it: its journal entries, and the agent tasks its runs start. */
export class CardPlayer {
  private turn = 0;
  private lastSeq = 0;
  readonly addr: ActorAddress;

  constructor(
    private readonly js: JetStreamClient,
    private readonly bus: Bus,
    org: string,
    readonly ws: string,
    readonly project: string,
    readonly id: string,
  ) {
    this.addr = { org, ws, kind: 'card', id };
  }

  /** Appends one turn with `events` to the card's journal (as the kernel would). */
  async write(cmdType: string, events: DomainEvent[], state = 'active'): Promise<number> {
    this.turn++;
    const entry: JournalEntry = {
      v: 2,
      actor: { ...this.addr },
      session: WORKSPACE_SESSION,
      turns: [
        {
          turn: this.turn,
          cmd: { id: `${this.id}-cmd-${this.turn}`, type: cmdType, at: Date.now() },
          state,
          status: 'active',
          events,
          effects: [],
          cancels: [],
        },
      ],
    };
    const ack = await this.js.publish(eventSubject(this.addr), JSON.stringify(entry), {
      msgID: `${this.addr.org}.${this.addr.ws}.card.${this.id}#${this.turn}`,
      expect: { lastSubjectSequence: this.lastSeq },
    });
    this.lastSeq = ack.seq;
    return ack.seq;
  }

  /** `run.started` naming a new agent task, then that task on the scripted provider. */
  async startRun(runId: string, step: number, agent: string, script: ScriptStep[]): Promise<ActorAddress> {
    const task = { org: this.addr.org, ws: this.ws, kind: 'agent', id: newTaskId(this.ws, this.project) };
    const actor = { kind: 'agent', id: task.id };
    await this.write('card.run', [{ type: 'run.started', runId, lane: 'doing', step, agent, actor }]);
    await this.bus.request(
      task,
      'task.submit',
      { prompt: `${agent}: step ${step}`, script, project: this.project },
      { id: `${task.id}-submit` },
    );
    return task;
  }

  async finishRun(runId: string, step: number, agent: string, task: ActorAddress, status: string) {
    const actor = { kind: task.kind, id: task.id };
    await this.write('effect.result', [
      {
        type: 'run.finished',
        runId,
        lane: 'doing',
        step,
        agent,
        actor,
        status,
        summary: `${agent} done`,
        costMicros: 7,
      },
    ]);
  }
}
