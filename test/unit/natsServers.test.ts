/**
 * NATS_URL / `--nats` naming a cluster: a comma-separated list of servers is checked one by one by
 * the CLI and handed to nats.js as an array (a string would be taken as one URL).
 */
import { describe, expect, it } from 'vitest';
import { natsServers } from '../../actors/kernel/index.js';
import { natsUrl } from '../../cli/options.js';

describe('a NATS URL that lists a cluster', () => {
  it('splits into one server per comma, trimmed, with empty parts dropped', () => {
    expect(natsServers('nats://a:4222, nats://b:4223,,nats://c:4224')).toEqual([
      'nats://a:4222',
      'nats://b:4223',
      'nats://c:4224',
    ]);
    expect(natsServers('nats://127.0.0.1:4222')).toEqual(['nats://127.0.0.1:4222']);
    expect(natsServers(['nats://a:1,nats://b:2', 'nats://c:3'])).toEqual([
      'nats://a:1',
      'nats://b:2',
      'nats://c:3',
    ]);
  });

  it('is accepted by the CLI when every server is a NATS URL, and refused naming the bad one', () => {
    expect(natsUrl({ raw: 'nats://a:4222,b:4223', from: '--nats' })).toBe('nats://a:4222,nats://b:4223');
    expect(() => natsUrl({ raw: 'nats://a:4222,http://b:4223', from: 'NATS_URL' })).toThrow(
      /NATS_URL must be a NATS URL .*http:\/\/b:4223/,
    );
  });
});
