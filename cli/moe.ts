#!/usr/bin/env node
/**
 * The `moe` command line: `up`, `node`, `task`, `replay`. Flags override env vars, which override
 * the documented defaults (NATS_URL=nats://127.0.0.1:4222, MOE_DATA_DIR=./.moe).
 */
import { parseArgs } from 'node:util';
import { isMoeError } from '../schemas/index.js';
import { nodeCommand } from './commands/node.js';
import { replayCommand } from './commands/replay.js';
import { taskCommand } from './commands/task.js';
import { upCommand } from './commands/up.js';
import { errors } from './errors.js';

const USAGE = `usage: moe <command> [options]

  up [--demo] [--data-dir DIR] [--nats URL]     run the platform (local nats-server if none answers);
                                                --demo runs a sample task and exits
  node [--data-dir DIR] [--nats URL] [--id ID]  run a workspace-node
  task "<prompt>" --org O --workspace W [--wait] [--json] [--session S] [--id ID] [--timeout MS]
                                                submit a task over NATS (and wait for its result)
  replay <session.jsonl> [--db sessions.db] [--json]
                                                rebuild state from a session log and compare it
                                                with the stored snapshots (exit 0 when equal)

env: NATS_URL (nats://127.0.0.1:4222), MOE_DATA_DIR (./.moe), MOE_LOG_LEVEL (info)`;

const print = (s: string) => process.stdout.write(`${s}\n`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const natsDefault = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const dataDefault = process.env.MOE_DATA_DIR ?? './.moe';
  const parse = (options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>) => {
    try {
      return parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (err) {
      throw errors.USAGE(err instanceof Error ? err.message : String(err));
    }
  };
  switch (command) {
    case 'up': {
      const { values } = parse({
        demo: { type: 'boolean', default: false },
        'data-dir': { type: 'string', default: dataDefault },
        nats: { type: 'string', default: natsDefault },
        port: { type: 'string', default: process.env.MOE_PORT ?? '8080' },
        'no-gateway': { type: 'boolean', default: false },
      });
      return upCommand(
        {
          demo: Boolean(values.demo),
          dataDir: String(values['data-dir']),
          natsUrl: String(values.nats),
          port: Number(values.port),
          gateway: !values['no-gateway'],
        },
        print,
      );
    }
    case 'node': {
      const { values } = parse({
        'data-dir': { type: 'string', default: dataDefault },
        nats: { type: 'string', default: natsDefault },
        id: { type: 'string' },
      });
      return nodeCommand({ dataDir: String(values['data-dir']), natsUrl: String(values.nats), ...(values.id ? { nodeId: String(values.id) } : {}) }, print);
    }
    case 'task': {
      const { values, positionals } = parse({
        org: { type: 'string' },
        workspace: { type: 'string' },
        session: { type: 'string' },
        id: { type: 'string' },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        nats: { type: 'string', default: natsDefault },
        timeout: { type: 'string', default: '120000' },
      });
      const prompt = positionals.join(' ').trim();
      if (!prompt || !values.org || !values.workspace) throw errors.USAGE('moe task "<prompt>" --org O --workspace W');
      return taskCommand(
        {
          prompt,
          org: String(values.org),
          workspace: String(values.workspace),
          wait: Boolean(values.wait),
          json: Boolean(values.json),
          natsUrl: String(values.nats),
          timeoutMs: Number(values.timeout),
          ...(values.session ? { session: String(values.session) } : {}),
          ...(values.id ? { id: String(values.id) } : {}),
        },
        print,
      );
    }
    case 'replay': {
      const { values, positionals } = parse({ db: { type: 'string' }, json: { type: 'boolean', default: false } });
      const file = positionals[0];
      if (!file) throw errors.USAGE('moe replay <session.jsonl>');
      return replayCommand({ file, json: Boolean(values.json), ...(values.db ? { db: String(values.db) } : {}) }, print);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw errors.USAGE(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (isMoeError(err)) process.stderr.write(`moe: ${err.code}: ${err.message}\n`);
    else process.stderr.write(`moe: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(isMoeError(err) && err.code === 'MOE_ERR_USAGE' ? 2 : 1);
  },
);
