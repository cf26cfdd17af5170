#!/usr/bin/env node
/**
 * The `moe` command line: `up`, `node`, `gateway`, `supervisor`, `task`, `replay`, `reproject`. Flags override env vars, which override
 * the documented defaults (NATS_URL=nats://127.0.0.1:4222, MOE_DATA_DIR=./.moe).
 */
import { parseArgs } from 'node:util';
import { isMoeError } from '../schemas/index.js';
import { nodeCommand } from './commands/node.js';
import { replayCommand } from './commands/replay.js';
import { reprojectCommand } from './commands/reproject.js';
import { taskCommand } from './commands/task.js';
import { upCommand } from './commands/up.js';
import { gatewayCommand } from './commands/gateway.js';
import { supervisorCommand } from './commands/supervisor.js';
import { errors } from './errors.js';

const USAGE = `usage: moe <command> [options]

  up [--demo] [--data-dir DIR] [--nats URL] [--port N] [--no-gateway]
     [--supervisor-port N] [--no-supervisor]
                                                run the platform: a local nats-server if none answers,
                                                a workspace-node, the gateway (port 8080) and the
                                                supervisor dashboard (port 8090);
                                                --demo runs a sample task and exits
  gateway [--port N] [--host H] [--nats URL]    run the REST/WebSocket gateway
  supervisor [--port N] [--host H] [--nats URL] run a supervisor: node liveness, lease repair,
                                                dashboard (port 8090)
  node [--data-dir DIR] [--nats URL] [--id ID]  run a workspace-node
  task "<prompt>" --org O --workspace W [--project P] [--wait] [--json] [--session S] [--id ID]
       [--timeout MS]                           submit a task over NATS (and wait for its result);
                                                --project: a gateway project of workspace W
  replay <session.jsonl> [--db sessions.db] [--json]
                                                rebuild state from a session log and compare it
                                                with the stored snapshots (exit 0 when equal)
  reproject <workspace dir> [--json]            rebuild messages.db, parsed_sessions.db and metrics.db
                                                from the workspace's session logs (fills what is missing)

env: NATS_URL (nats://127.0.0.1:4222), MOE_DATA_DIR (./.moe), MOE_PORT (8080),
     MOE_SUPERVISOR_PORT (8090), MOE_JWT_SECRET,
     MOE_LOG_LEVEL (info), MOE_REPLICAS (1); see docs/operations.md`;

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
        host: { type: 'string', default: process.env.MOE_HOST ?? '127.0.0.1' },
        'supervisor-port': { type: 'string', default: process.env.MOE_SUPERVISOR_PORT ?? '8090' },
        'no-supervisor': { type: 'boolean', default: false },
      });
      return upCommand(
        {
          demo: Boolean(values.demo),
          dataDir: String(values['data-dir']),
          natsUrl: String(values.nats),
          port: Number(values.port),
          gateway: !values['no-gateway'],
          supervisor: !values['no-supervisor'],
          supervisorPort: Number(values['supervisor-port']),
          host: String(values.host),
          explicitNats: values.nats !== 'nats://127.0.0.1:4222' || process.env.NATS_URL !== undefined,
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
      return nodeCommand(
        {
          dataDir: String(values['data-dir']),
          natsUrl: String(values.nats),
          ...(values.id ? { nodeId: String(values.id) } : {}),
        },
        print,
      );
    }
    case 'gateway': {
      const { values } = parse({
        nats: { type: 'string', default: natsDefault },
        port: { type: 'string', default: process.env.MOE_PORT ?? '8080' },
        host: { type: 'string', default: process.env.MOE_HOST ?? '0.0.0.0' },
      });
      return gatewayCommand(
        { natsUrl: String(values.nats), port: Number(values.port), host: String(values.host) },
        print,
      );
    }
    case 'supervisor': {
      const { values } = parse({
        nats: { type: 'string', default: natsDefault },
        port: { type: 'string', default: process.env.MOE_SUPERVISOR_PORT ?? '8090' },
        host: { type: 'string', default: process.env.MOE_HOST ?? '127.0.0.1' },
      });
      return supervisorCommand(
        { natsUrl: String(values.nats), port: Number(values.port), host: String(values.host) },
        print,
      );
    }
    case 'task': {
      const { values, positionals } = parse({
        org: { type: 'string' },
        workspace: { type: 'string' },
        session: { type: 'string' },
        id: { type: 'string' },
        project: { type: 'string' },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        nats: { type: 'string', default: natsDefault },
        timeout: { type: 'string', default: '120000' },
      });
      const prompt = positionals.join(' ').trim();
      if (!prompt || !values.org || !values.workspace)
        throw errors.USAGE('moe task "<prompt>" --org O --workspace W');
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
          ...(values.project ? { project: String(values.project) } : {}),
        },
        print,
      );
    }
    case 'replay': {
      const { values, positionals } = parse({
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      const file = positionals[0];
      if (!file) throw errors.USAGE('moe replay <session.jsonl>');
      return replayCommand(
        { file, json: Boolean(values.json), ...(values.db ? { db: String(values.db) } : {}) },
        print,
      );
    }
    case 'reproject': {
      const { values, positionals } = parse({ json: { type: 'boolean', default: false } });
      const dir = positionals[0];
      if (!dir) throw errors.USAGE('moe reproject <workspace dir>');
      return reprojectCommand({ dir, json: Boolean(values.json) }, print);
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
