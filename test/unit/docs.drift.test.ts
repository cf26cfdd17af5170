/** The generated docs match the code: a new error code or schema change without `npm run docs:gen` fails here. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorsMarkdown, schemaFiles } from '../../scripts/docsContent.js';
import { EVENT_TABLES_START, withEventTables } from '../../scripts/eventTables.js';
import { allCatalogues } from '../../schemas/index.js';

const docs = resolve(import.meta.dirname, '..', '..', 'docs');

describe('generated docs', () => {
  it('docs/errors.md lists every code of every error catalogue', () => {
    const onDisk = readFileSync(join(docs, 'errors.md'), 'utf8');
    for (const specs of allCatalogues().values()) {
      for (const spec of Object.values(specs))
        expect(onDisk, `${spec.code} missing — run npm run docs:gen`).toContain(`\`${spec.code}\``);
    }
    expect(onDisk).toBe(errorsMarkdown());
  });

  it('error codes are unique across processes unless they mean the same thing', () => {
    const seen = new Map<string, string>();
    for (const specs of allCatalogues().values()) {
      for (const spec of Object.values(specs)) {
        const prior = seen.get(spec.code);
        if (prior !== undefined) expect(prior, spec.code).toBe(spec.message);
        seen.set(spec.code, spec.message);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
  });

  it('docs/schemas/*.json equal the schemas exported from schemas/', () => {
    const expected = schemaFiles();
    const dir = join(docs, 'schemas');
    expect(existsSync(dir)).toBe(true);
    const actual = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(actual.sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
  });

  it('docs/subjects.md lists every domain event with the fields of its schema', async () => {
    const path = join(docs, 'subjects.md');
    const onDisk = readFileSync(path, 'utf8');
    expect(onDisk).toContain(EVENT_TABLES_START);
    expect(onDisk, 'event tables drifted — run npm run docs:gen').toBe(await withEventTables(onDisk, path));
  });
});
