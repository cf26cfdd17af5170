/**
 * The validating codec used at every NATS boundary: JSON bytes in, a checked value out, or a
 * {@link SchemaError} naming the JSON path of the first violation. Validators are compiled once.
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Static, TSchema } from '@sinclair/typebox';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly schema: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${schema}${path ? ` at ${path}` : ''}: ${message}`, options);
  }
}

export interface Codec<T> {
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  check(value: unknown): T;
}

/** @example const c = codec(CommandEnvelope, 'CommandEnvelope'); const cmd = c.decode(msg.data); */
export function codec<S extends TSchema>(schema: S, name = schema.$id ?? 'message'): Codec<Static<S>> {
  const checker: TypeCheck<S> = TypeCompiler.Compile(schema);
  const check = (value: unknown): Static<S> => {
    if (checker.Check(value)) return value;
    const first = checker.Errors(value).First();
    throw new SchemaError(name, first?.path ?? '', first?.message ?? 'invalid');
  };
  return {
    name,
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(bytes));
      } catch (cause) {
        throw new SchemaError(name, '', 'not valid JSON', { cause });
      }
      return check(parsed);
    },
    check,
  };
}

/** A checker for values already parsed (command data inside an envelope). */
export function validator<S extends TSchema>(schema: S, name: string): (value: unknown) => Static<S> {
  const c = codec(schema, name);
  return (value) => c.check(value);
}

/**
 * A parser of JSON bytes for values that may be foreign or stale (KV records): the checked value,
 * or null when the bytes are not one (never throws).
 *
 * @example export const parseRetirement = parseOrNull(WorkspaceRetirement);
 */
export function parseOrNull<S extends TSchema>(schema: S): (bytes: Uint8Array) => Static<S> | null {
  const checker: TypeCheck<S> = TypeCompiler.Compile(schema);
  return (bytes) => {
    try {
      const v: unknown = JSON.parse(decoder.decode(bytes));
      return checker.Check(v) ? v : null;
    } catch {
      return null;
    }
  };
}
