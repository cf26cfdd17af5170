// ESLint flat config: typed rules for TypeScript, floating promises and console use are errors, and
// the dependency rules of docs/architecture.md ("Dependency rules"): no import cycles, each top-level
// folder imports only the folders below it and only through their public doors, and the pure code
// (machines, schemas) imports no I/O.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// ── The allowed dependency graph (edit here; docs/architecture.md shows the same table) ────────────

/** Each top-level folder → the top-level folders it may import ('*': any). Anything else is forbidden. */
const LAYERS = {
  schemas: [],
  devkit: [],
  actors: ['schemas'],
  storage: ['schemas', 'actors'],
  client: ['schemas', 'actors'],
  'workspace-node': ['schemas', 'actors', 'storage'],
  gateway: ['schemas', 'actors'],
  supervisor: ['schemas', 'actors'],
  cli: ['schemas', 'actors', 'storage', 'client', 'devkit', 'workspace-node', 'gateway', 'supervisor'],
  bench: ['schemas', 'actors', 'storage', 'client', 'devkit', 'workspace-node', 'gateway', 'supervisor'],
  scripts: ['schemas', 'actors', 'storage', 'workspace-node', 'gateway', 'supervisor', 'cli'],
  examples: ['schemas', 'client'],
  test: ['*'],
};

/**
 * A folder's public doors: the only files another top-level folder may import from it. `index.ts`,
 * and `errors.ts`, the error catalogue (docs/errors.md is generated from every catalogue).
 */
const DOORS = ['index.ts', 'errors.ts'];
const ENTRY_POINTS = {
  ...Object.fromEntries(Object.keys(LAYERS).map((folder) => [folder, DOORS])),
  actors: [...DOORS, 'kernel/index.ts', 'kernel/errors.ts'],
};

/** Folders that may import past a door (tests reach into the modules they test). */
const DEEP_IMPORTERS = ['test'];

/** Imports the table forbids but that are still there, each with the reason: `from` may import `to`. */
const EXCEPTIONS = [
  // projectionWorker.ts is a worker thread's entry: the kernel's index would add ~0.3 s of module
  // loading to every projection worker's start, for one function (openSqlite)
  { from: 'workspace-node', to: 'actors/kernel/sessionStore.ts' },
];

/** Pure code: no I/O, no clock, no randomness (machines are replayed; schemas are the wire contract). */
const PURE = ['actors/**/*.ts', 'schemas/**/*.ts'];
const PURE_EXCEPT = ['actors/kernel/**'];
const IO_MODULES = [
  ...['node:*', 'fs', 'fs/*', 'net', 'http', 'https', 'child_process', 'worker_threads', 'os', 'crypto'],
  ...['nats', '@nats-io/*', 'better-sqlite3', 'fastify', '@fastify/*', 'pino', 'prom-client', 'ws'],
  ...['@anthropic-ai/*', 'openai', 'openai/*', '@google-cloud/*', '@aws-sdk/*'],
];

// ── Rules built from the table ────────────────────────────────────────────────────────────────────

const folders = Object.keys(LAYERS);
const why = 'docs/architecture.md, "Dependency rules"; the table is at the top of eslint.config.js';
const exceptionsFor = (target, from) =>
  EXCEPTIONS.filter((e) => e.from === target && e.to.startsWith(`${from}/`)).map((e) =>
    e.to.slice(from.length + 1),
  );
const doorsOf = (from) =>
  ENTRY_POINTS[from].filter((d) => existsSync(join(import.meta.dirname, from, d))).map((d) => `${from}/${d}`);

/** One zone per (importing folder, imported folder): forbidden outright, or only past its doors. */
const zones = folders.flatMap((target) =>
  folders
    .filter((from) => from !== target)
    .flatMap((from) => {
      if (!LAYERS[target].includes('*') && !LAYERS[target].includes(from))
        return [
          {
            target,
            from,
            except: exceptionsFor(target, from),
            message: `${target}/ may import only ${LAYERS[target].join(', ') || 'no other folder'} (${why}).`,
          },
        ];
      if (DEEP_IMPORTERS.includes(target)) return [];
      return [
        {
          target,
          from,
          except: [...ENTRY_POINTS[from], ...exceptionsFor(target, from)],
          message: `import ${from}/ only through ${doorsOf(from).join(' or ')} (${why}).`,
        },
      ];
    }),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.moe/**', 'eslint.config.js', 'vitest.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: join(import.meta.dirname, 'tsconfig.json') }),
      ],
    },
    rules: {
      // type-only imports count: a cycle of types still ties the modules together
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones }],
    },
  },
  {
    files: PURE,
    ignores: PURE_EXCEPT,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: IO_MODULES,
              message:
                'machines and schemas are pure: no I/O, clock or randomness (the kernel and the processes do that).',
            },
            {
              regex: '(^|/)kernel(/|$)',
              message: 'the kernel hosts the machines; a machine never imports it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'cli/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
