/** Writes docs/errors.md, docs/schemas/*.json and the event tables of docs/subjects.md (run: `npm run docs:gen`). */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorsMarkdown, schemaFiles } from './docsContent.js';
import { withEventTables } from './eventTables.js';

const root = resolve(import.meta.dirname, '..', '..');
const docs = join(root, 'docs');
writeFileSync(join(docs, 'errors.md'), errorsMarkdown());
const dir = join(docs, 'schemas');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f));
const files = schemaFiles();
for (const [name, text] of files) writeFileSync(join(dir, name), text);
const subjects = join(docs, 'subjects.md');
writeFileSync(subjects, await withEventTables(readFileSync(subjects, 'utf8'), subjects));
process.stdout.write(
  `wrote docs/errors.md, ${files.size} schemas in docs/schemas/ and the event tables of docs/subjects.md\n`,
);
