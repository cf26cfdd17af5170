/**
 * Submit a task to a MOE-Agents agent and wait for its outcome, using nothing but the NATS client
 * (`@nats-io/transport-node` + `@nats-io/jetstream`) and the wire contract in docs/subjects.md.
 * No MOE-Agents code is imported: this is what a client in any language does.
 *
 *   1. publish a CommandEnvelope {id, type: "task.submit", data: {prompt}} to
 *      moe.cmd.<org>.<ws>.agent.<taskId> with Nats-Msg-Id = <org>.<ws>.agent.<taskId>/<id>;
 *   2. read the agent's journal, moe.evt.<org>.<ws>.agent.<taskId> in stream MOE_EVT, from the
 *      start with an ordered consumer. Each message is a journal entry carrying one or more turns;
 *      look at every turn: the turn whose cmd.id is our id says whether the agent accepted the task
 *      (command.rejected if not), and a later turn's events hold task.completed / task.failed;
 *   3. meanwhile watch moe.dlq.<org>.<ws> for a dead letter of our command (bad input).
 *
 * Run (with `moe up` running): npx tsx examples/submit-task.ts "your prompt"
 * Env: NATS_URL (nats://127.0.0.1:4222), MOE_ORG (demo), MOE_WS (main), MOE_TASK (random id),
 *      MOE_SESSION (optional session token), MOE_TIMEOUT_MS (60000).
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';

type DomainEvent = { type: string; [k: string]: unknown };

/** One turn: one command applied to the actor (the fields used here; docs/schemas/TurnRecord.json). */
interface Turn {
  turn: number;
  cmd: { id: string; type: string; at: number; data?: Record<string, unknown> };
  state: string;
  status: 'active' | 'done' | 'error';
  events: DomainEvent[];
}

interface ActorRef {
  org: string;
  ws: string;
  kind: string;
  id: string;
}

/** A journal message: one append of 1..64 consecutive turns (docs/schemas/JournalEntry.json). */
interface JournalEntry {
  v: 2;
  actor: ActorRef;
  session: string;
  turns: Turn[];
}

/** The older format (v1): one turn per message, still read (docs/schemas/JournalRecordV1.json). */
interface JournalRecordV1 extends Turn {
  v: 1;
  actor: ActorRef;
  session: string;
}

/** The turns of a journal message, oldest first, whatever its version. */
const turnsOf = (entry: JournalEntry | JournalRecordV1): Turn[] => (entry.v === 1 ? [entry] : entry.turns);

interface DeadLetter {
  code: string;
  reason: string;
  subject: string;
  payload: string;
  path?: string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/; // subject tokens: no dots, no wildcards
const END_EVENTS = new Set(['task.completed', 'task.failed']);

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const org = process.env.MOE_ORG ?? 'demo';
const ws = process.env.MOE_WS ?? 'main';
const taskId = process.env.MOE_TASK ?? `t-${randomUUID().slice(0, 8)}`;
const session = process.env.MOE_SESSION;
const timeoutMs = Number(process.env.MOE_TIMEOUT_MS ?? 60_000);
const prompt = process.argv.slice(2).join(' ') || 'Summarise the MOE-Agents wire contract in one line';

for (const [name, v] of Object.entries({
  MOE_ORG: org,
  MOE_WS: ws,
  MOE_TASK: taskId,
  MOE_SESSION: session,
})) {
  if (v !== undefined && !TOKEN.test(v)) throw new Error(`${name} must match ${TOKEN.source}, got "${v}"`);
}

const commandSubject = `moe.cmd.${org}.${ws}.agent.${taskId}`;
const eventSubject = `moe.evt.${org}.${ws}.agent.${taskId}`;
const deadLetterSubject = `moe.dlq.${org}.${ws}`;
const commandId = `task-${taskId}`;

const print = (line: string) => process.stdout.write(`${line}\n`);

const nc = await connect({ servers: natsUrl });
const js = jetstream(nc);

// Watch dead letters from now on, before publishing, so a rejection of our command is not missed.
const dlq = await (
  await js.consumers.get('MOE_DLQ', { filter_subjects: deadLetterSubject, deliver_policy: DeliverPolicy.New })
).consume();

// 1. Publish. The ack means MOE_CMD stored it; `duplicate` is true when this id was already sent
//    within the stream's duplicate window (then it is not applied twice).
const envelope = { id: commandId, type: 'task.submit', data: { prompt }, ...(session ? { session } : {}) };
// Nats-Msg-Id is scoped by the actor: JetStream dedupes ids stream-wide, command ids are per actor.
const msgID = `${org}.${ws}.agent.${taskId}/${commandId}`;
const ack = await js.publish(commandSubject, JSON.stringify(envelope), { msgID });
print(
  `published ${commandId} to ${commandSubject} (MOE_CMD seq ${ack.seq}${ack.duplicate ? ', duplicate' : ''})`,
);

// 2. Follow the journal from its first entry. The journal is a stream, so starting to read after
//    publishing loses nothing; re-running with the same MOE_TASK replays the same outcome.
const journal = await (
  await js.consumers.get('MOE_EVT', { filter_subjects: eventSubject, deliver_policy: DeliverPolicy.All })
).consume();

async function outcomeFromJournal(): Promise<DomainEvent> {
  for await (const m of journal) {
    // One message = one entry; every turn of it counts, not just the first.
    for (const t of turnsOf(m.json<JournalEntry | JournalRecordV1>())) {
      const types = t.events.map((e) => e.type).join(', ') || '-';
      print(`  seq ${m.seq}  turn ${t.turn}  ${t.cmd.type.padEnd(13)} → ${t.state.padEnd(8)} ${types}`);
      // The turn of our own command: a command.rejected there means the agent could not accept it.
      const rejected = t.cmd.id === commandId && t.events.find((e) => e.type === 'command.rejected');
      if (rejected) return rejected;
      const end = t.events.find((e) => END_EVENTS.has(e.type));
      if (end) return end;
    }
  }
  throw new Error('journal subscription closed');
}

async function deadLetterForUs(): Promise<never> {
  for await (const m of dlq as AsyncIterable<JsMsg>) {
    const letter = m.json<DeadLetter>();
    if (letter.subject === commandSubject) {
      // For schema violations `reason` names the JSON path; `path` holds it alone.
      throw new Error(`dead letter ${letter.code}: ${letter.reason}`);
    }
  }
  return new Promise<never>(() => {}); // stopped: leave the race to the others
}

let timer: NodeJS.Timeout | undefined;
const timeout = new Promise<never>((_, reject) => {
  timer = setTimeout(
    () => reject(new Error(`no outcome within ${timeoutMs} ms: is a workspace-node running (moe up)?`)),
    timeoutMs,
  );
});

try {
  const outcome = await Promise.race([outcomeFromJournal(), deadLetterForUs(), timeout]);
  print(`outcome: ${JSON.stringify(outcome, null, 2)}`);
  process.exitCode = outcome.type === 'task.completed' ? 0 : 1;
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  journal.stop();
  dlq.stop();
  await nc.drain();
}
