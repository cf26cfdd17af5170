/**
 * How the gateway validates requests, and how it words a violation. Route schemas are compiled by
 * two Ajvs: one for request bodies that never coerces types, and one for the path, query string
 * and headers that does (`?limit=10` is a string on the wire; `coerceTypes: 'array'` also turns a
 * repeated or single query value into an array). A JSON body carries its own types, so
 * `{"prompt": 5}` or `{"maxSteps": "3"}` is a 400 MOE_ERR_VALIDATION rather than a silent "5" or
 * 3. Both compilers are @fastify/ajv-compiler, as Fastify's default is: same formats, same shared
 * schemas (`addSchema`). {@link validationMessage} words the 400.
 *
 * @example Fastify({ ajv: { customOptions: AJV_OPTIONS }, schemaController: gatewaySchemaController })
 */
import { AjvCompiler, type Options as AjvOptions } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';
import { patternMeaning } from '../schemas/index.js';

/** what Fastify passes on from its `ajv` option */
interface AjvServerOption {
  readonly customOptions?: AjvOptions;
  readonly plugins?: NonNullable<Parameters<ReturnType<typeof AjvCompiler>>[1]>['plugins'];
}

/** the Ajv settings of every part (coercion aside) */
export const AJV_OPTIONS = { removeAdditional: false, coerceTypes: 'array', allErrors: false } as const;

const fromPool = AjvCompiler();

export const gatewaySchemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: (externalSchemas, ajvServerOption) => {
      const options = (ajvServerOption ?? {}) as AjvServerOption;
      const coercing = fromPool(externalSchemas, { ...options, customOptions: { ...options.customOptions } });
      const exact = fromPool(externalSchemas, {
        ...options,
        customOptions: { ...options.customOptions, coerceTypes: false },
      });
      return (route) => (route.httpPart === 'body' ? exact : coercing)(route);
    },
  },
};

/** One Ajv error as Fastify hands it over (`err.validation[i]`). */
interface AjvError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params?: { readonly allowedValue?: unknown; readonly pattern?: unknown };
}

/**
 * The message of a schema violation: Fastify's ("querystring/limit must be integer"), except that
 * the branches of a choice between constants (`groupBy`, `period`, …) read as one line, "must be
 * one of: a, b, c", instead of "must be equal to constant" once per choice, and a pattern the
 * schemas put in words (schemas/patternMeanings.ts) is said in them instead of quoted.
 */
export function validationMessage(
  context: string | undefined,
  errors: readonly AjvError[],
  fallback: string,
): string {
  const choices = new Map<string, unknown[]>();
  for (const e of errors)
    if (e.keyword === 'const')
      choices.set(e.instancePath, [...(choices.get(e.instancePath) ?? []), e.params?.allowedValue]);
  const worded = (e: AjvError) => (e.keyword === 'pattern' ? patternMeaning(e.params?.pattern) : undefined);
  if (choices.size === 0 && !errors.some(worded)) return fallback;
  const where = (path: string) => `${context ?? 'request'}${path}`;
  const lines = [...choices].map(
    ([path, allowed]) => `${where(path)} must be one of: ${allowed.map(String).join(', ')}`,
  );
  for (const e of errors) {
    if (e.keyword === 'const' || (e.keyword === 'anyOf' && choices.has(e.instancePath))) continue;
    const words = worded(e);
    lines.push(`${where(e.instancePath)} ${words ? `must be ${words}` : (e.message ?? 'is invalid')}`);
  }
  return lines.join(', ');
}
