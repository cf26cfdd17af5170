/**
 * How the gateway's route schemas are compiled: one Ajv for request bodies that never coerces
 * types, and one for the path, query string and headers that does (`?limit=10` is a string on the
 * wire; `coerceTypes: 'array'` also turns a repeated or single query value into an array). A JSON
 * body carries its own types, so `{"prompt": 5}` or `{"maxSteps": "3"}` is a 400
 * MOE_ERR_VALIDATION rather than a silent "5" or 3. Both compilers are @fastify/ajv-compiler, as
 * Fastify's default is: same formats, same shared schemas (`addSchema`).
 *
 * @example Fastify({ ajv: { customOptions: AJV_OPTIONS }, schemaController: gatewaySchemaController })
 */
import { AjvCompiler, type Options as AjvOptions } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

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
