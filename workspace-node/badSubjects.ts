/**
 * Dead letters for commands no workspace consumer will ever see. A workspace's consumer filters
 * `moe.cmd.<org>.<ws>.>`, so a command to `moe.cmd.<org>` or `moe.cmd.<org>.<ws>` (too few tokens),
 * or to a workspace whose `<org>`/`<ws>` token is invalid (never hosted), would sit in MOE_CMD
 * with its PubAck and nothing else.
 *
 * nats-server 2.9 gives a consumer one filter subject and no negation, so the node binds to four
 * durable pull consumers, one per wrong token count — `moe.cmd.*`, `moe.cmd.*.*`, `moe.cmd.*.*.*`,
 * `moe.cmd.*.*.*.*.>` — shared by every node (each message goes to one of them), and
 * dead-letters each with MOE_ERR_BAD_SUBJECT before acking it. A six-token subject with a bad
 * `<org>` or `<ws>` token is found by the node's discovery consumer instead ({@link BadSubjects.fromDiscovery}).
 * Every letter has `Nats-Msg-Id` `dlq:<MOE_CMD sequence>`, the same id the kernel uses, so
 * a command seen twice (by two nodes, or by a catch-all and a workspace kernel) yields one letter.
 *
 * Letters go to `moe.dlq.<org>.<ws>` with each invalid or missing token replaced by `_invalid`.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  addCommandConsumer,
  consumeCommands,
  DeadLetters,
  type Clock,
  type CommandLoop,
} from '../actors/kernel/index.js';
import { isToken, STREAMS } from '../schemas/index.js';
import { errors } from './errors.js';

/** durable name → filter: every command subject that is not `moe.cmd.<4 tokens>` */
export const BAD_SUBJECT_CONSUMERS: Readonly<Record<string, string>> = {
  moe_bad_subject_1: 'moe.cmd.*',
  moe_bad_subject_2: 'moe.cmd.*.*',
  moe_bad_subject_3: 'moe.cmd.*.*.*',
  moe_bad_subject_5: 'moe.cmd.*.*.*.*.>',
};

const INVALID = '_invalid';

/** The workspace whose dead-letter subject a bad command subject's letter goes to. */
export function deadLetterWorkspace(subject: string): { org: string; ws: string } {
  const [, , org, ws] = subject.split('.');
  return {
    org: org !== undefined && isToken(org) ? org : INVALID,
    ws: ws !== undefined && isToken(ws) ? ws : INVALID,
  };
}

export class BadSubjects {
  private readonly loops: CommandLoop[] = [];
  private readonly letters: DeadLetters;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly log: Logger,
    clock: Clock,
  ) {
    this.letters = new DeadLetters(js, log, clock, deadLetterWorkspace);
  }

  async start(): Promise<void> {
    for (const [name, filter] of Object.entries(BAD_SUBJECT_CONSUMERS)) {
      const exists = await this.jsm.consumers.info(STREAMS.commands, name).catch(() => null);
      if (!exists)
        await addCommandConsumer(this.jsm, { name, filter }).catch((err: unknown) =>
          this.log.debug({ err, name }, 'bad-subject consumer exists'),
        );
      const consumer = { js: this.js, log: this.log, name, pullBatch: 64 };
      const { messages } = await consumeCommands(consumer, (m) => void this.refuse(m));
      this.loops.push(messages);
    }
  }

  stop(): void {
    for (const l of this.loops) l.stop();
  }

  /**
   * A subject the discovery consumer saw that no kernel will take: six tokens with a bad `<org>`
   * or `<ws>`. (Other bad shapes reach the durable consumers above; a bad `<kind>`/`<id>` reaches
   * the workspace's kernel.)
   */
  async fromDiscovery(subject: string, seq: number): Promise<void> {
    const parts = subject.split('.');
    if (parts.length !== 6 || (isToken(parts[2]!) && isToken(parts[3]!))) return;
    const m = await this.jsm.streams.getMessage(STREAMS.commands, { seq }).catch(() => null);
    if (!m) return;
    await this.letters
      .publish(subject, seq, m.data, errors.BAD_SUBJECT(subject))
      .catch((e: unknown) => this.log.error({ err: e, subject }, 'dead letter publish failed'));
  }

  private refuse(msg: JsMsg): Promise<void> {
    return this.letters.refuse(msg, errors.BAD_SUBJECT(msg.subject));
  }
}
