/**
 * The object-storage error catalogue: every failure of an {@link ObjectStore} backend (fs, GCS,
 * S3-compatible) or of a storage URL maps to one of these stable codes, whatever SDK raised it, so
 * callers (the backup actor's effects, `moe restore`) decide on codes alone. `retryable` marks the
 * failures a later attempt may fix (an outage), not the ones it cannot (a bad URL, a corrupt copy).
 */
import { defineErrors } from '../schemas/index.js';

export const errors = defineErrors('storage', {
  NOT_FOUND: { code: 'MOE_ERR_STORAGE_NOT_FOUND', message: 'no object with that key', status: 404 },
  UNAVAILABLE: {
    code: 'MOE_ERR_STORAGE_UNAVAILABLE',
    message: 'the object store did not answer or failed (network, 5xx, disk)',
    status: 503,
    retryable: true,
  },
  DENIED: {
    code: 'MOE_ERR_STORAGE_DENIED',
    message: 'the object store refused the credentials or the operation (401/403, EACCES)',
    status: 403,
  },
  URL: {
    code: 'MOE_ERR_STORAGE_URL',
    message: 'invalid storage URL (MOE_STORAGE_PRIMARY / MOE_STORAGE_MIRROR, docs/operations.md)',
    status: 500,
  },
  KEY: {
    code: 'MOE_ERR_STORAGE_KEY',
    message: "invalid object key: a relative '/'-separated path without empty, '.' or '..' segments",
    status: 400,
  },
  INTEGRITY: {
    code: 'MOE_ERR_STORAGE_INTEGRITY',
    message: 'object content does not match its sha256',
    status: 502,
  },
});
