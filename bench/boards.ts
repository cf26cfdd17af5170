/**
 * Board figures through the gateway (seed 002), on a private nats-server, one workspace-node and a
 * gateway in this process, over HTTP on loopback, one request at a time:
 *
 * - `card_moves_per_s`: `PUT /api/cards/:id/move` of one card back and forth between two lanes
 *   without workflows (each answer comes after the board's turn and the card's turn are journaled);
 * - `move_to_first_agent_turn_p50/p99` (ms): from sending the move of a fresh card into an
 *   autoTrigger lane to the first journaled turn of the lane's first agent actor (seen on MOE_EVT).
 *
 * Run: `npm run build && node dist/bench/boards.js [moves] [cards]` — prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway } from '../gateway/index.js';
import { startWorkspaceNode } from '../workspace-node/index.js';
import { percentile, startBench, waitFor } from './setup.js';

export interface BoardFigures {
  card_moves_per_s: number;
  move_p50_ms: number;
  move_p99_ms: number;
  move_to_first_agent_turn_p50_ms: number;
  move_to_first_agent_turn_p99_ms: number;
  moves: number;
  cards: number;
}

const NO_LIMIT = { limit: 1_000_000_000, windowMs: 60_000 };
const round = (x: number) => Number(x.toFixed(2));

export async function boardsBench(moves: number, cards: number): Promise<BoardFigures> {
  const b = await startBench();
  const node = await startWorkspaceNode({
    natsUrl: b.ns.url,
    dataDir: join(b.dataDir, 'boards'),
    idleMs: 3_600_000,
    logger: pino({ level: 'silent' }),
  });
  const gw = await startGateway({
    natsUrl: b.ns.url,
    jwtSecret: randomBytes(32).toString('hex'),
    logger: false,
    port: 0,
    host: '127.0.0.1',
    rateLimits: { perApiKey: NO_LIMIT, perOrg: NO_LIMIT, perUser: NO_LIMIT, perIp: NO_LIMIT },
  });
  let auth = '';
  const http = async <T>(method: string, path: string, body: unknown, expected: number): Promise<T> => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`bench: ${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  try {
    const email = 'boards@example.com';
    const password = 'correct horse battery';
    await http('POST', '/auth/register', { email, password, name: 'bench' }, 201);
    auth = `Bearer ${(await http<{ token: string }>('POST', '/auth/login', { email, password }, 200)).token}`;
    const org = (await http<{ id: string }>('POST', '/api/orgs', { name: 'B' }, 201)).id;
    const ws = (await http<{ id: string }>('POST', '/api/workspaces', { org, name: 'w' }, 201)).id;
    const project = (await http<{ id: string }>('POST', `/api/workspaces/${ws}/projects`, { name: 'p' }, 201))
      .id;
    await waitFor(() => gw.ctx.tenancy.projects.has(project), 10_000, 'the project in the gateway');
    await http(
      'PUT',
      `/api/projects/${project}/agent-config`,
      { agents: [], workflows: { run: { autoTrigger: 'ceo', scripts: { ceo: [{ text: 'ok' }] } } } },
      200,
    );
    const lanes = ['a', 'b', 'run'].map((id) => ({ id, name: id }));
    const board = (
      await http<{ id: string }>('POST', `/api/projects/${project}/boards`, { name: 'b', lanes }, 201)
    ).id;
    const newCard = async () =>
      (
        await http<{ id: string }>(
          'POST',
          `/api/projects/${project}/cards`,
          { board, lane: 'a', title: 'c' },
          201,
        )
      ).id;

    // card moves/s
    const card = await newCard();
    const moveMs: number[] = [];
    for (let i = 0; i < 10; i++)
      await http('PUT', `/api/cards/${card}/move`, { lane: i % 2 ? 'a' : 'b' }, 200);
    const t0 = performance.now();
    for (let i = 0; i < moves; i++) {
      const s = performance.now();
      await http('PUT', `/api/cards/${card}/move`, { lane: i % 2 ? 'a' : 'b' }, 200);
      moveMs.push(performance.now() - s);
    }
    const seconds = (performance.now() - t0) / 1000;

    // move → first agent turn
    const firstTurn = new Map<string, (at: number) => void>();
    const sub = b.nc.subscribe(`moe.evt.${org}.${ws}.agent.>`, {
      callback: (_err, m) => {
        const now = performance.now();
        const id = m.subject.split('.').pop() ?? '';
        const cardId = id.slice(0, id.lastIndexOf('-'));
        firstTurn.get(cardId)?.(now);
        firstTurn.delete(cardId);
      },
    });
    const latencies: number[] = [];
    for (let i = 0; i < cards; i++) {
      const c = await newCard();
      const seen = new Promise<number>((resolve) => firstTurn.set(c, resolve));
      const s = performance.now();
      await http('PUT', `/api/cards/${c}/move`, { lane: 'run' }, 200);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('bench: no agent turn in 15 s')), 15_000);
      });
      try {
        latencies.push((await Promise.race([seen, timeout])) - s);
      } finally {
        clearTimeout(timer);
      }
    }
    sub.unsubscribe();
    const sortedMoves = [...moveMs].sort((x, y) => x - y);
    const sorted = [...latencies].sort((x, y) => x - y);
    return {
      card_moves_per_s: round(moves / seconds),
      move_p50_ms: round(percentile(sortedMoves, 50)),
      move_p99_ms: round(percentile(sortedMoves, 99)),
      move_to_first_agent_turn_p50_ms: round(percentile(sorted, 50)),
      move_to_first_agent_turn_p99_ms: round(percentile(sorted, 99)),
      moves,
      cards,
    };
  } finally {
    await gw.close();
    await node.stop();
    await b.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const moves = Number(process.argv[2] ?? 200);
  const cards = Number(process.argv[3] ?? 40);
  process.stdout.write(`${JSON.stringify(await boardsBench(moves, cards))}\n`);
}
