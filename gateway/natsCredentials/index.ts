/** Per-org and per-service NATS credentials (decentralized JWT auth): docs/deploy.md, "Per-org NATS credentials". */
export * from './authDir.js';
export * from './jwt.js';
export * from './orgCredentials.js';
export * from './permissions.js';
