/**
 * How a workspace-node finds the workspaces that have commands, in O(workspaces) at start rather
 * than O(actor subjects in MOE_CMD) (issue 14 item 6). Three sources, in this order:
 *
 *   1. the discovery mark M (workspaceRegistry.ts), read first;
 *   2. the registry `moe_workspaces`: one entry per workspace, watched from its current values on
 *      (entries other nodes add later arrive live; a deleted one goes away);
 *   3. MOE_CMD from sequence M+1 with an ordered, headers-only consumer, then every new command.
 *      A command whose workspace is not in the registry gets it registered (up to 64 at once,
 *      each retried until it succeeds); the mark moves only up to the command before the oldest
 *      registration still in flight (every {@link DiscoveryOptions.markEveryMs}, when caught up,
 *      and at stop), so it never passes a workspace that is not in the registry yet.
 *
 * Reading the mark before the registry is what makes this complete: everything at or below M was
 * registered before M was written. Commands published while no node ran are above the mark and
 * are read at the next start, whatever workspace they name, so NATS clients need not go through
 * the gateway. A node started on a stream that has no mark yet (an upgrade) reads every command
 * once, registers what it finds and writes the mark; later starts read only what is new.
 *
 * Each command read is reported through {@link DiscoveryOptions.onWorkspace} (the node decides
 * whether to host it), and a six-token subject with an invalid `<org>`/`<ws>` through
 * {@link DiscoveryOptions.onBadSubject} (badSubjects.ts dead-letters it).
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { FOLLOWER_PULL, type Clock } from '../actors/kernel/index.js';
import { isToken, parseActorSubject, registryKey, STREAMS } from '../schemas/index.js';
import type { WorkspaceRegistry } from './workspaceRegistry.js';

export interface DiscoveryOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly registry: WorkspaceRegistry;
  readonly nodeId: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** a workspace that is registered or has a command (called again for each command read) */
  onWorkspace(org: string, ws: string): void;
  /** a command subject that is not an actor address */
  onBadSubject(subject: string, seq: number): Promise<void>;
  /** how often the mark is moved to what was read; default 1000 ms */
  readonly markEveryMs?: number;
}

/** What discovery read: the figures a test (and the bench) asserts on. */
export interface DiscoveryStats {
  /** the discovery mark this node started from */
  readonly startMark: number;
  /** registry entries delivered at start (current values, deletion markers included) */
  readonly registryRead: number;
  /** MOE_CMD messages delivered to discovery so far (headers only), at start and live */
  readonly commandsRead: number;
  /** workspaces this node added to the registry */
  readonly registered: number;
  /** the mark as this node last wrote or read it */
  readonly mark: number;
}

export interface Discovery {
  /** resolves once the registry and every command up to MOE_CMD's last sequence at start were read */
  readonly ready: Promise<void>;
  stats(): DiscoveryStats;
  /** stops reading and writes the mark up to what was read */
  stop(): Promise<void>;
}

const REGISTER_RETRY_MS = 1_000;
/** new workspaces registered at once (a first start after an upgrade registers every workspace) */
const MAX_REGISTERING = 64;

export async function startDiscovery(o: DiscoveryOptions): Promise<Discovery> {
  const { registry, log } = o;
  let stopped = false;
  // 1. The mark first: the registry holds every workspace of the commands at or below it.
  let startMark = await registry.mark();
  const lastAtStart = (await o.jsm.streams.info(STREAMS.commands)).state.last_seq;
  if (startMark > lastAtStart) {
    // MOE_CMD was recreated and its sequences started over: read all of it again.
    log.warn({ mark: startMark, lastSeq: lastAtStart }, 'discovery mark above MOE_CMD; reading it all');
    startMark = 0;
    await registry.resetMark(0);
  }
  const stats = { startMark, registryRead: 0, commandsRead: 0, registered: 0, mark: startMark };
  const known = new Set<string>();

  // 2. The registry: its current values, then changes. Caught up at the bucket's last sequence
  // at start (that message is some key's last value, so the watch delivers it).
  const status = await registry.kv.status();
  const registryTarget = status.values === 0 ? 0 : status.streamInfo.state.last_seq;
  let registryCaughtUp!: () => void;
  const registryRead = new Promise<void>((r) => (registryCaughtUp = r));
  if (registryTarget === 0) registryCaughtUp();
  let inSnapshot = registryTarget > 0;
  // Headers only: the key is `<org>.<ws>`, all discovery needs (tokens have no dots).
  const watch = await registry.kv.watch({ key: '*.*', headers_only: true });
  const watchLoop = (async () => {
    for await (const e of watch) {
      if (inSnapshot) stats.registryRead++;
      const [org, ws] = e.key.split('.') as [string, string];
      if (e.operation === 'PUT' && isToken(org) && isToken(ws)) {
        known.add(e.key);
        o.onWorkspace(org, ws);
      } else known.delete(e.key);
      if (inSnapshot && e.revision >= registryTarget) {
        inSnapshot = false;
        registryCaughtUp();
      }
    }
  })();

  // 3. Commands after the mark, then new ones.
  let lastRead = startMark;
  /**
   * Registrations in flight, by the sequence of the command that started each (inserted in
   * stream order, so the first key is the lowest). Up to {@link MAX_REGISTERING} run at once.
   */
  const registering = new Map<number, Promise<void>>();
  /** every command at or below this has its workspace registered: what the mark may say */
  const markable = (): number => {
    const oldest = registering.keys().next();
    return oldest.done ? lastRead : oldest.value - 1;
  };
  let commandsCaughtUp!: () => void;
  const commandsRead = new Promise<void>((r) => (commandsCaughtUp = r));
  let caughtUp = lastAtStart <= startMark;
  if (caughtUp) commandsCaughtUp();
  const consumer = await o.js.consumers.get(STREAMS.commands, {
    filter_subjects: 'moe.cmd.>',
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startMark + 1,
    headers_only: true,
  });
  const messages = await consumer.consume({ ...FOLLOWER_PULL, max_messages: 1024 });
  const register = async (org: string, ws: string, seq: number): Promise<void> => {
    for (;;) {
      try {
        const reg = { org, ws, firstSeq: seq, registeredAt: o.clock.now(), by: o.nodeId };
        if (await registry.register(reg)) stats.registered++;
        return;
      } catch (err) {
        // NATS unreachable: the mark waits for this registration, however long it takes
        if (stopped) throw err;
        log.warn({ err, org, ws }, 'could not register a workspace; trying again');
        await new Promise((r) => setTimeout(r, REGISTER_RETRY_MS));
      }
    }
  };
  const commandLoop = (async () => {
    for await (const m of messages) {
      stats.commandsRead++;
      const a = parseActorSubject(m.subject);
      if (!a) await o.onBadSubject(m.subject, m.seq);
      else if (known.has(registryKey(a.org, a.ws))) o.onWorkspace(a.org, a.ws);
      else {
        // a new workspace: registered (retried until it is) before the mark passes this command
        known.add(registryKey(a.org, a.ws));
        const seq = m.seq;
        const done = register(a.org, a.ws, seq).then(() => {
          registering.delete(seq);
          o.onWorkspace(a.org, a.ws);
        });
        done.catch(() => undefined); // only when stopping: the mark stays below it
        registering.set(seq, done);
        if (registering.size >= MAX_REGISTERING) await registering.values().next().value;
      }
      lastRead = m.seq;
      if (m.seq >= lastAtStart && !caughtUp) {
        caughtUp = true;
        void Promise.allSettled([...registering.values()]).then(() => commandsCaughtUp());
      }
    }
  })();

  // The mark follows what was read (never the other way round).
  let writing: Promise<void> = Promise.resolve();
  const writeMark = (): Promise<void> => {
    writing = writing.then(async () => {
      const upTo = markable();
      if (upTo <= stats.mark) return;
      stats.mark = await registry
        .advanceMark(upTo)
        .catch((err: unknown) => (log.warn({ err }, 'could not write the discovery mark'), stats.mark));
    });
    return writing;
  };
  const timer = setInterval(() => void writeMark(), o.markEveryMs ?? 1_000);
  timer.unref();
  const ready = Promise.all([registryRead, commandsRead]).then(() => writeMark());
  ready.catch(() => undefined);

  return {
    ready,
    stats: () => ({ ...stats }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      messages.stop();
      watch.stop();
      await commandLoop.catch(() => undefined);
      await Promise.allSettled([...registering.values()]);
      await watchLoop.catch(() => undefined);
      await writeMark();
    },
  };
}
