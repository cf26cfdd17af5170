/**
 * How to run this same `moe` again from the current directory, for commands the CLI prints
 * (`moe` itself is usually not on PATH in a clone): `node dist/cli/moe.js`, relative to the working
 * directory when the clone is below it, absolute otherwise.
 */
import { isAbsolute, relative, resolve } from 'node:path';

const quote = (s: string) => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function selfCommand(script: string = process.argv[1] ?? 'dist/cli/moe.js'): string {
  const abs = resolve(script);
  const rel = relative(process.cwd(), abs);
  const path = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  return `${script.endsWith('.ts') ? 'npx tsx' : 'node'} ${quote(path)}`;
}

/** A printable shell command: this `moe` with `args` (each quoted as needed). */
export function moeCommandLine(...args: string[]): string {
  return [selfCommand(), ...args.map(quote)].join(' ');
}
