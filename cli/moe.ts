#!/usr/bin/env node
/**
 * The `moe` command line: `up`, `node`, `gateway`, `supervisor`, `task`, `search`, `usage`, `invoices`, `budgets`, `webhooks`, `replay`, `reproject`, `backup list|verify|prune`. Flags override env vars, which override
 * the documented defaults (NATS_URL=nats://127.0.0.1:4222, MOE_DATA_DIR=./.moe). Every value is
 * checked before a command starts anything; every error goes through one handler
 * (cli/reportError.ts): `moe: MOE_ERR_…: …`, or JSON under --json. `moe <command> --help` prints
 * that command's help; `moe --version` the package version. `moe restore` downloads a backup into a
 * directory (cli/commands/restore.ts). Each command's module is imported when that command runs
 * (`await import()` in its case): `moe --help`, a gateway command or `moe task` do not load the
 * workspace-node, the gateway or the storage clients (each CLI start cost ~1.6 CPU-s of module
 * loading when this file imported them all).
 */
import { parseArgs } from 'node:util';
import { checkBackupId, parseAt, parseWorkspaceArg } from './backupArgs.js';
import { errors } from './errors.js';
import { actionWord, GATEWAY_OPTIONS, gatewayTarget, givenFlags } from './gatewayArgs.js';
import { COMMAND_HELP, USAGE } from './help.js';
import {
  checkCorsOrigins,
  checkStopWithPid,
  checkJwtSecret,
  checkLogLevel,
  checkSnapshotInterval,
  duration,
  host,
  natsUrl,
  pick,
  port,
  positiveInt,
} from './options.js';
import { reportError } from './reportError.js';
import { packageVersion } from './version.js';

const DEFAULT_NATS = 'nats://127.0.0.1:4222';

const print = (s: string) => process.stdout.write(`${s}\n`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v' || command === 'version') {
    print(packageVersion());
    return 0;
  }
  if (command && Object.hasOwn(COMMAND_HELP, command) && (rest.includes('--help') || rest.includes('-h'))) {
    print(COMMAND_HELP[command]!);
    return 0;
  }
  const dataDir = (v: unknown) => pick(v, '--data-dir', 'MOE_DATA_DIR', './.moe').raw;
  const nats = (v: unknown) => natsUrl(pick(v, '--nats', 'NATS_URL', DEFAULT_NATS));
  const parse = (options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>) => {
    try {
      return parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (err) {
      throw errors.USAGE(
        `${err instanceof Error ? err.message : String(err)} (moe ${command} --help lists its options)`,
      );
    }
  };
  switch (command) {
    case 'up': {
      const { values } = parse({
        demo: { type: 'boolean', default: false },
        exit: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        nats: { type: 'string' },
        port: { type: 'string' },
        'no-gateway': { type: 'boolean', default: false },
        host: { type: 'string' },
        'supervisor-port': { type: 'string' },
        'no-supervisor': { type: 'boolean', default: false },
      });
      if (values.exit && !values.demo) throw errors.USAGE('--exit applies to --demo only');
      const natsSource = pick(values.nats, '--nats', 'NATS_URL', DEFAULT_NATS);
      const args = {
        demo: Boolean(values.demo),
        stayAfterDemo: !values.exit && process.stdout.isTTY === true,
        dataDir: dataDir(values['data-dir']),
        natsUrl: natsUrl(natsSource),
        port: port(pick(values.port, '--port', 'MOE_PORT', '8080')),
        gateway: !values['no-gateway'],
        supervisor: !values['no-supervisor'],
        supervisorPort: port(
          pick(values['supervisor-port'], '--supervisor-port', 'MOE_SUPERVISOR_PORT', '8090'),
        ),
        host: host(pick(values.host, '--host', 'MOE_HOST', '127.0.0.1')),
        explicitNats: natsSource.from !== 'default',
      };
      checkLogLevel();
      checkJwtSecret();
      await checkCorsOrigins();
      checkSnapshotInterval();
      const { checkNodeEnv } = await import('../workspace-node/index.js');
      checkNodeEnv(process.env, { dataDir: args.dataDir });
      checkStopWithPid();
      const { upCommand } = await import('./commands/up.js');
      return upCommand(args, print);
    }
    case 'node': {
      const sub = rest[0];
      if (sub === 'drain' || sub === 'undrain' || sub === 'list') {
        // a running node's placement (cli/commands/nodeControl.ts)
        const { values, positionals } = parse({
          nats: { type: 'string' },
          timeout: { type: 'string' },
          json: { type: 'boolean', default: false },
        });
        const json = Boolean(values.json);
        const { nodeDrainCommand, nodeListCommand, nodeUndrainCommand } =
          await import('./commands/nodeControl.js');
        if (sub === 'list') return nodeListCommand({ natsUrl: nats(values.nats), json }, print);
        const nodeId = positionals[1];
        if (!nodeId) throw errors.USAGE(`moe node ${sub} <node id> (moe node list shows them)`);
        if (sub === 'undrain') return nodeUndrainCommand({ natsUrl: nats(values.nats), nodeId, json }, print);
        return nodeDrainCommand(
          {
            natsUrl: nats(values.nats),
            nodeId,
            json,
            timeoutMs: positiveInt(pick(values.timeout, '--timeout', undefined, '300000')),
          },
          print,
        );
      }
      const { values } = parse({
        'data-dir': { type: 'string' },
        nats: { type: 'string' },
        id: { type: 'string' },
        'http-port': { type: 'string' },
        'http-host': { type: 'string' },
      });
      // probes and metrics: flags over MOE_NODE_HTTP_PORT / MOE_NODE_HTTP_HOST (read by the node's config)
      const httpPortFlag = values['http-port'] === undefined ? undefined : String(values['http-port']);
      const args = {
        dataDir: dataDir(values['data-dir']),
        natsUrl: nats(values.nats),
        ...(values.id ? { nodeId: String(values.id) } : {}),
        ...(httpPortFlag === undefined
          ? {}
          : {
              httpPort:
                httpPortFlag.trim().toLowerCase() === 'off'
                  ? null
                  : port(pick(httpPortFlag, '--http-port', undefined, '9464')),
            }),
        ...(values['http-host'] !== undefined
          ? { httpHost: host(pick(values['http-host'], '--http-host', undefined, '127.0.0.1')) }
          : {}),
      };
      checkLogLevel();
      const { checkNodeEnv } = await import('../workspace-node/index.js');
      checkNodeEnv(process.env, { dataDir: args.dataDir });
      checkStopWithPid();
      const { nodeCommand } = await import('./commands/node.js');
      return nodeCommand(args, print);
    }
    case 'gateway': {
      const { values } = parse({
        nats: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
      });
      const args = {
        natsUrl: nats(values.nats),
        port: port(pick(values.port, '--port', 'MOE_PORT', '8080')),
        host: host(pick(values.host, '--host', 'MOE_HOST', '0.0.0.0')),
      };
      checkLogLevel();
      checkJwtSecret();
      await checkCorsOrigins();
      checkSnapshotInterval();
      const { gatewayCommand } = await import('./commands/gateway.js');
      return gatewayCommand(args, print);
    }
    case 'supervisor': {
      const { values } = parse({
        nats: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
      });
      const args = {
        natsUrl: nats(values.nats),
        port: port(pick(values.port, '--port', 'MOE_SUPERVISOR_PORT', '8090')),
        host: host(pick(values.host, '--host', 'MOE_HOST', '127.0.0.1')),
      };
      checkLogLevel();
      const { supervisorCommand } = await import('./commands/supervisor.js');
      return supervisorCommand(args, print);
    }
    case 'creds': {
      // per-org NATS credentials (cli/commands/creds.ts)
      const sub = rest[0];
      const { values } = parse({
        dir: { type: 'string' },
        org: { type: 'string' },
        user: { type: 'string' },
        out: { type: 'string' },
        nats: { type: 'string' },
      });
      const { authDirFromEnv } = await import('../gateway/index.js');
      const { credsInitCommand, credsIssueCommand, credsListCommand, credsPushCommand, credsRevokeCommand } =
        await import('./commands/creds.js');
      const dir = values.dir ? authDirFromEnv({ MOE_NATS_AUTH_DIR: String(values.dir) }) : authDirFromEnv();
      const org = values.org === undefined ? undefined : String(values.org);
      const stderr = (s: string) => process.stderr.write(`${s}\n`);
      if (sub === 'init') return credsInitCommand({ dir }, print);
      if (sub === 'issue') {
        if (!org) throw errors.USAGE('moe creds issue --org O [--out FILE]');
        return credsIssueCommand(
          { dir, org, ...(values.out ? { out: String(values.out) } : {}) },
          print,
          stderr,
        );
      }
      if (sub === 'revoke')
        return credsRevokeCommand(
          {
            dir,
            natsUrl: nats(values.nats),
            ...(org ? { org } : {}),
            ...(values.user ? { user: String(values.user) } : {}),
          },
          print,
        );
      if (sub === 'push') return credsPushCommand({ dir, natsUrl: nats(values.nats) }, print);
      if (sub === 'list') return credsListCommand({ dir, ...(org ? { org } : {}) }, print);
      throw errors.USAGE('moe creds init|issue|revoke|push|list (moe creds --help)');
    }
    case 'backup': {
      const sub = rest[0];
      if (sub === 'prune') {
        // a retention policy over the store's backups, offline (cli/commands/backupPrune.ts)
        const { values, positionals } = parse({
          'keep-last': { type: 'string' },
          'keep-within': { type: 'string' },
          'deleted-keep': { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
        });
        const { backupPruneCommand } = await import('./commands/backupPrune.js');
        const w = parseWorkspaceArg(
          positionals[1],
          'moe backup prune <org>/<ws> [--keep-last N] [--keep-within DURATION] [--dry-run]',
        );
        const given = (v: unknown, flag: string) =>
          typeof v === 'string' ? { raw: v, from: flag } : undefined;
        const keepLast = given(values['keep-last'], '--keep-last');
        const keepWithin = given(values['keep-within'], '--keep-within');
        const deletedKeep = given(values['deleted-keep'], '--deleted-keep');
        const json = Boolean(values.json);
        return backupPruneCommand(
          {
            ...w,
            ...(keepLast ? { keepLast: positiveInt(keepLast) } : {}),
            ...(keepWithin ? { keepWithinMs: duration(keepWithin) } : {}),
            ...(deletedKeep ? { deletedRetentionMs: duration(deletedKeep) } : {}),
            dryRun: Boolean(values['dry-run']),
            json,
          },
          print,
          json ? (s) => process.stderr.write(`${s}\n`) : print,
        );
      }
      if (sub === 'list' || sub === 'verify') {
        // `list` and `verify` read the store offline (cli/commands/backupVerify.ts)
        const { values, positionals } = parse({
          id: { type: 'string' },
          json: { type: 'boolean', default: false },
        });
        const json = Boolean(values.json);
        const { backupListCommand, backupVerifyCommand } = await import('./commands/backupVerify.js');
        if (sub === 'list') {
          if (values.id !== undefined) throw errors.USAGE('--id applies to moe backup verify only');
          const w = parseWorkspaceArg(positionals[1], 'moe backup list <org>/<ws>');
          return backupListCommand({ ...w, json }, print, (s) => process.stderr.write(`${s}\n`));
        }
        if (sub === 'verify') {
          const w = parseWorkspaceArg(positionals[1], 'moe backup verify <org>/<ws> [--id ID]');
          const progress = json ? (s: string) => process.stderr.write(`${s}\n`) : print;
          return backupVerifyCommand(
            { ...w, json, ...(values.id ? { id: String(values.id) } : {}) },
            print,
            progress,
          );
        }
      }
      // `moe backup <org>/<ws>`: an on-demand backup by the workspace's backup actor (cli/commands/backup.ts)
      const { values, positionals } = parse({
        force: { type: 'boolean', default: false },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        nats: { type: 'string' },
        timeout: { type: 'string' },
      });
      const { backupCommand, parseWorkspaceRef } = await import('./commands/backup.js');
      return backupCommand(
        {
          ...parseWorkspaceRef(positionals[0]),
          force: Boolean(values.force),
          wait: Boolean(values.wait),
          json: Boolean(values.json),
          natsUrl: nats(values.nats),
          timeoutMs: positiveInt(pick(values.timeout, '--timeout', undefined, '300000')),
        },
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
        nats: { type: 'string' },
        timeout: { type: 'string' },
      });
      const prompt = positionals.join(' ').trim();
      if (!prompt || !values.org || !values.workspace)
        throw errors.USAGE('moe task "<prompt>" --org O --workspace W');
      const { taskCommand } = await import('./commands/task.js');
      return taskCommand(
        {
          prompt,
          org: String(values.org),
          workspace: String(values.workspace),
          wait: Boolean(values.wait),
          json: Boolean(values.json),
          natsUrl: nats(values.nats),
          timeoutMs: positiveInt(pick(values.timeout, '--timeout', undefined, '120000')),
          ...(values.session ? { session: String(values.session) } : {}),
          ...(values.id ? { id: String(values.id) } : {}),
          ...(values.project ? { project: String(values.project) } : {}),
        },
        print,
      );
    }
    case 'search': {
      // full-text search of a workspace's session logs over NATS (cli/commands/search.ts)
      const { values, positionals } = parse({
        org: { type: 'string' },
        workspace: { type: 'string' },
        session: { type: 'string' },
        agent: { type: 'string' },
        kind: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        level: { type: 'string' },
        limit: { type: 'string' },
        offset: { type: 'string' },
        json: { type: 'boolean', default: false },
        nats: { type: 'string' },
        timeout: { type: 'string' },
      });
      const q = positionals.join(' ').trim();
      if (!q || !values.org || !values.workspace)
        throw errors.USAGE('moe search "<query>" --org O --workspace W (moe search --help)');
      const opt = (k: keyof typeof values) => (typeof values[k] === 'string' ? { [k]: values[k] } : {});
      const { searchCommand } = await import('./commands/search.js');
      return searchCommand(
        {
          q,
          org: String(values.org),
          workspace: String(values.workspace),
          ...opt('session'),
          ...opt('agent'),
          ...opt('kind'),
          ...opt('from'),
          ...opt('to'),
          ...opt('level'),
          ...opt('limit'),
          ...opt('offset'),
          json: Boolean(values.json),
          natsUrl: nats(values.nats),
          timeoutMs: positiveInt(pick(values.timeout, '--timeout', undefined, '10000')),
          bold: process.stdout.isTTY === true,
        },
        print,
      );
    }
    case 'invoices': {
      // a workspace's invoices from the gateway over REST (cli/commands/invoices.ts)
      const { values } = parse({
        workspace: { type: 'string' },
        id: { type: 'string' },
        csv: { type: 'boolean', default: false },
        ...GATEWAY_OPTIONS,
      });
      const flags = givenFlags(values, { workspace: 'workspace', id: 'id' });
      const target = gatewayTarget(values);
      const { invoicesCommand } = await import('./commands/invoices.js');
      return invoicesCommand({ ...flags, csv: Boolean(values.csv), ...target }, print);
    }
    case 'budgets': {
      // budgets of an org, workspace or project over the gateway's REST (cli/commands/budgets.ts)
      const { values, positionals } = parse({
        org: { type: 'string' },
        workspace: { type: 'string' },
        project: { type: 'string' },
        'limit-usd': { type: 'string' },
        period: { type: 'string' },
        thresholds: { type: 'string' },
        ...GATEWAY_OPTIONS,
      });
      const action = actionWord(positionals, 'usage: moe budgets [list|set|remove] … (moe budgets --help)');
      const flags = givenFlags(values, {
        org: 'org',
        workspace: 'workspace',
        project: 'project',
        limitUsd: 'limit-usd',
        period: 'period',
        thresholds: 'thresholds',
      });
      const target = gatewayTarget(values);
      const { budgetsCommand } = await import('./commands/budgets.js');
      return budgetsCommand({ action, ...flags, ...target }, print);
    }
    case 'webhooks': {
      // an org's webhook endpoints and delivery log over the gateway's REST (cli/commands/webhooks.ts)
      const { values, positionals } = parse({
        org: { type: 'string' },
        url: { type: 'string' },
        events: { type: 'string' },
        id: { type: 'string' },
        limit: { type: 'string' },
        ...GATEWAY_OPTIONS,
      });
      const action = actionWord(
        positionals,
        'usage: moe webhooks [list|add|remove|deliveries] … (moe webhooks --help)',
      );
      const flags = givenFlags(values, {
        org: 'org',
        url: 'url',
        events: 'events',
        id: 'id',
        limit: 'limit',
      });
      const target = gatewayTarget(values);
      const { webhooksCommand } = await import('./commands/webhooks.js');
      return webhooksCommand({ action, ...flags, ...target }, print);
    }
    case 'usage': {
      // usage analytics from the gateway over REST (cli/commands/usage.ts)
      const { values } = parse({
        org: { type: 'string' },
        workspace: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'group-by': { type: 'string' },
        suggestions: { type: 'boolean', default: false },
        ...GATEWAY_OPTIONS,
      });
      const flags = givenFlags(values, {
        org: 'org',
        workspace: 'workspace',
        from: 'from',
        to: 'to',
        groupBy: 'group-by',
      });
      const target = gatewayTarget(values);
      const { usageCommand } = await import('./commands/usage.js');
      return usageCommand({ ...flags, suggestions: Boolean(values.suggestions), ...target }, print);
    }
    case 'replay': {
      const { values, positionals } = parse({
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      const file = positionals[0];
      if (!file) throw errors.USAGE('moe replay <session.jsonl>');
      const { replayCommand } = await import('./commands/replay.js');
      return replayCommand(
        { file, json: Boolean(values.json), ...(values.db ? { db: String(values.db) } : {}) },
        print,
      );
    }
    case 'reproject': {
      const { values, positionals } = parse({ json: { type: 'boolean', default: false } });
      const dir = positionals[0];
      if (!dir) throw errors.USAGE('moe reproject <workspace dir>');
      const { reprojectCommand } = await import('./commands/reproject.js');
      return reprojectCommand({ dir, json: Boolean(values.json) }, print);
    }
    case 'restore': {
      const { values, positionals } = parse({
        backup: { type: 'string' },
        at: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      const usage = 'moe restore <org>/<workspace> [--backup ID | --at TIME] --to DIR';
      const w = parseWorkspaceArg(positionals[0], usage);
      if (positionals.length > 1 || !values.to) throw errors.USAGE(usage);
      if (values.backup !== undefined && values.at !== undefined)
        throw errors.USAGE(`--backup and --at choose the backup two ways: give one (${usage})`);
      const args = {
        ...w,
        to: String(values.to),
        json: Boolean(values.json),
        ...(values.backup !== undefined ? { backup: checkBackupId(String(values.backup)) } : {}),
        ...(values.at !== undefined ? { at: parseAt(String(values.at), new Date()) } : {}),
      };
      const { restoreCommand } = await import('./commands/restore.js');
      return restoreCommand(args, print, (s) => process.stderr.write(`${s}\n`));
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      const topic = command === 'help' ? rest[0] : undefined;
      print(topic && Object.hasOwn(COMMAND_HELP, topic) ? COMMAND_HELP[topic]! : USAGE);
      return command === undefined ? 2 : 0;
    }
    default:
      throw errors.USAGE(`unknown command "${command}"\n\n${USAGE}`);
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = reportError(err, {
      json: argv.includes('--json'),
      out: print,
      err: (s) => process.stderr.write(`${s}\n`),
    });
    process.exit(code);
  },
);
