/**
 * JSON request bodies as Fastify parses them (prototype and constructor poisoning refused), except
 * that an empty body sent with `content-type: application/json` is no body at all, as if the header
 * were absent, instead of 400 MOE_ERR_MALFORMED_JSON. Many clients send the header on every POST;
 * `POST /auth/logout` or `POST /api/tasks/:id/cancel` with nothing to say then works either way
 * (the gateway reads a POST/PUT without a body as `{}`, server.ts). A body of only whitespace is
 * still malformed JSON.
 *
 * @example acceptEmptyJsonBodies(app)
 */
import type { FastifyInstance } from 'fastify';

export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined);
    void parseJson(req, body.toString(), done);
  });
}
