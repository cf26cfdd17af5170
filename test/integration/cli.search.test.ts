/**
 * `moe search` as a real child process against a real nats-server and an in-process workspace-node
 * whose parsed_sessions.db the projection worker filled from real turns (scripted provider): JSON
 * and text output, filters, a bad FTS5 query (exit 1, MOE_ERR_SEARCH_QUERY), a workspace no node
 * hosts (MOE_ERR_SEARCH_UNAVAILABLE) and a bad flag (exit 2, MOE_ERR_USAGE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchServiceSubject, type SearchResponse } from '../../schemas/index.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';
import { reapAll, runMoe } from './cli.kit.js';

let p: Platform;
const where = { org: 'cs', ws: 'w' };

beforeAll(async () => {
  p = await startPlatform();
  await p.node({ nodeId: 'search-cli' });
  await p.client.runTask(where.org, where.ws, 'wombat-1', {
    prompt: 'inspect the wombat burrow',
    script: [{ text: 'burrow fine' }],
  });
  await p.client.runTask(where.org, where.ws, 'wombat-2', {
    prompt: 'wombat wombat census',
    script: [{ text: 'counted' }],
  });
  // the projection worker indexes off the turn loop (and starts through tsx under vitest: seconds)
  await eventually(
    async () => {
      const m = await p.nc.request(
        searchServiceSubject(where.org, where.ws),
        JSON.stringify({ q: 'wombat' }),
      );
      const r = m.json<SearchResponse>();
      return 'hits' in r && new Set(r.hits.map((h) => h.actor.id)).size === 2 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'both tasks in the search index' },
  );
}, 120_000);
afterAll(async () => {
  await reapAll([]);
  await p?.close();
});

const moe = (...args: string[]) =>
  runMoe(['search', ...args, '--org', where.org, '--workspace', where.ws, '--nats', p.ns.url]);

describe('moe search', () => {
  it('prints the hits as JSON, best first, with highlights', async () => {
    const r = await moe('wombat', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      org: string;
      workspace: string;
      hits: Array<{
        actor: { id: string };
        snippet: string;
        highlights: Array<[number, number]>;
        score: number;
      }>;
      nextOffset: number | null;
    };
    expect(out).toMatchObject({ org: 'cs', workspace: 'w', nextOffset: null });
    expect(out.hits[0]!.actor.id).toBe('wombat-2');
    const h = out.hits[0]!;
    expect(h.highlights.map(([s, e]) => h.snippet.slice(s, e).toLowerCase())).toContain('wombat');
  });

  it('prints text with the matched words marked, and pages with --limit', async () => {
    const r = await moe('burrow', '--limit', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 hit\(s\) for "burrow" in cs\/w/);
    expect(r.stdout).toContain('agent:wombat-1');
    expect(r.stdout).toContain('**burrow**');
    expect(r.stdout).toMatch(/more: --offset 1/);
  });

  it('filters by agent, kind and level', async () => {
    const r = await moe('wombat', '--agent', 'wombat-1', '--kind', 'agent', '--level', 'info,warn', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { hits: Array<{ actor: { id: string }; level: string }> };
    expect(out.hits.length).toBeGreaterThan(0);
    expect(out.hits.every((h) => h.actor.id === 'wombat-1' && h.level === 'info')).toBe(true);
    const none = await moe('wombat', '--kind', 'coordinator', '--json');
    expect((JSON.parse(none.stdout) as { hits: unknown[] }).hits).toEqual([]);
  });

  it('exits 1 with MOE_ERR_SEARCH_QUERY for a query FTS5 cannot parse', async () => {
    const [r, text] = await Promise.all([moe('"wombat', '--json'), moe('nosuch:wombat')]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('MOE_ERR_SEARCH_QUERY');
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('MOE_ERR_SEARCH_QUERY');
  });

  it('exits 1 with MOE_ERR_SEARCH_UNAVAILABLE when no node hosts the workspace', async () => {
    const r = await runMoe([
      'search',
      'x',
      '--org',
      'cs',
      '--workspace',
      'nobody',
      '--json',
      '--nats',
      p.ns.url,
    ]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe(
      'MOE_ERR_SEARCH_UNAVAILABLE',
    );
  });

  it('exits 2 with MOE_ERR_USAGE for a bad flag value, before connecting', async () => {
    const bad = [
      ['--level', 'loud'],
      ['--from', 'yesterday'],
      ['--limit', '0'],
      ['--session', 'a.b'],
    ];
    const results = await Promise.all(bad.map((args) => moe('wombat', ...args)));
    for (const [i, r] of results.entries()) {
      expect(r.code, bad[i]!.join(' ')).toBe(2);
      expect(r.stderr, bad[i]!.join(' ')).toContain('MOE_ERR_USAGE');
    }
  });
});
