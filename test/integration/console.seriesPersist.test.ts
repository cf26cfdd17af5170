/**
 * The console's chart samples survive a gateway restart, on a real nats-server: a gateway samples
 * into the `MOE_CONSOLE_SERIES` stream; once it is closed, a new gateway's series API
 * (`/console/api/overview` → `charts`) returns the earlier points at once; two gateways sampling
 * together store one point per slot (no duplicates); the stream has the configured max age.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import type { Overview } from '../../gateway/console/index.js';
import { SERIES_STREAM } from '../../gateway/console/seriesStore.js';
import { eventually } from '../harness/index.js';
import { OPERATOR_TOKEN } from './console.kit.js';
import { JWT_SECRET, startStack, type Stack } from './gateway.fixture.js';

const INTERVAL_MS = 200;
let stack: Stack;
const opened: Gateway[] = [];

beforeAll(async () => {
  process.env.MOE_CONSOLE_SERIES_MAX_AGE_MS = String(3_600_000);
  stack = await startStack({
    node: false,
    gateway: { operatorToken: OPERATOR_TOKEN, consoleSeriesMs: INTERVAL_MS },
  });
  opened.push(stack.gw);
}, 60_000);
afterAll(async () => {
  delete process.env.MOE_CONSOLE_SERIES_MAX_AGE_MS;
  for (const g of opened.slice(1)) await g.close().catch(() => undefined);
  await stack?.stop();
});

const gateway = async () => {
  const g = await buildGateway({
    nc: stack.nc,
    jwtSecret: JWT_SECRET,
    logger: false,
    operatorToken: OPERATOR_TOKEN,
    consoleSeriesMs: INTERVAL_MS,
  });
  opened.push(g);
  return g;
};

const chartTimes = async (g: Gateway): Promise<number[]> => {
  const res = await g.app.inject({
    method: 'GET',
    url: '/console/api/overview',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json<Overview>().charts.throughput!.map(([at]) => at);
};

describe('console chart history', () => {
  it('survives a gateway restart, and two gateways do not duplicate points', async () => {
    const first = await eventually(
      async () => {
        const t = await chartTimes(stack.gw);
        return t.length >= 4 ? t : undefined;
      },
      { timeoutMs: 15_000, what: 'four samples' },
    );
    // slot-aligned, increasing
    for (const at of first) expect(at % INTERVAL_MS).toBe(0);
    expect([...first].sort((a, b) => a - b)).toEqual(first);

    await stack.gw.close();
    opened.shift();

    // a new gateway shows the earlier points at once (read back from the stream at start)
    const second = await gateway();
    const after = await chartTimes(second);
    expect(after).toEqual(expect.arrayContaining(first));

    // a third gateway alongside: both sample, one point per slot is stored
    const third = await gateway();
    await new Promise((r) => setTimeout(r, 6 * INTERVAL_MS));
    await third.close();
    opened.pop();
    await second.close();
    opened.pop();
    const fourth = await gateway();
    const merged = await chartTimes(fourth);
    expect(new Set(merged).size).toBe(merged.length);
    expect(merged.length).toBeGreaterThan(first.length);
  });

  it('keeps the samples with the configured max age', async () => {
    const jsm = await jetstreamManager(stack.nc);
    const info = await jsm.streams.info(SERIES_STREAM);
    expect(info.config.max_age).toBe(3_600_000 * 1_000_000);
    expect(info.config.subjects).toEqual(['moe.console.series']);
    // one stored message per slot: no two share a time
    const ats: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(SERIES_STREAM, { seq }).catch(() => null);
      if (m) ats.push(m.json<{ at: number }>().at);
    }
    expect(ats.length).toBeGreaterThan(4);
    expect(new Set(ats).size).toBe(ats.length);
  });
});
