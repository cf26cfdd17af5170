/** Writes docs/errors.md and docs/schemas/*.json (run: `npm run docs:gen`). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorsMarkdown, schemaFiles } from './docsContent.js';

const root = resolve(import.meta.dirname, '..', '..');
const docs = join(root, 'docs');
writeFileSync(join(docs, 'errors.md'), errorsMarkdown());
const dir = join(docs, 'schemas');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f));
const files = schemaFiles();
for (const [name, text] of files) writeFileSync(join(dir, name), text);
process.stdout.write(`wrote docs/errors.md and ${files.size} schemas in docs/schemas/\n`);
