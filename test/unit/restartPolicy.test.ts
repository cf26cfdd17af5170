/** Restart policies (supervisor/restartPolicy.ts): every branch of the decision and of the configuration. */
import { describe, expect, it } from 'vitest';
import {
  decide,
  DEFAULT_RESTART_POLICY,
  parseRestartPolicy,
  policyOf,
  restartPoliciesFromEnv,
  type RestartPolicy,
} from '../../supervisor/restartPolicy.js';
import { restartedId } from '../../supervisor/actorSupervision.js';

const policy: RestartPolicy = {
  maxRestarts: 2,
  windowMs: 10_000,
  backoffBaseMs: 100,
  backoffMaxMs: 250,
  then: 'stop',
  escalateTo: 'operators',
};

describe('restart policy decisions', () => {
  it('restarts with a doubling backoff, capped, while restarts are left in the window', () => {
    expect(decide(policy, [], 1_000)).toEqual({ action: 'restart', delayMs: 100, restart: 1 });
    expect(decide(policy, [900], 1_000)).toEqual({ action: 'restart', delayMs: 200, restart: 2 });
    const wide = { ...policy, maxRestarts: 5 };
    expect(decide(wide, [1, 2, 3], 1_000)).toEqual({ action: 'restart', delayMs: 250, restart: 4 });
  });

  it('stops once the restarts in the window are used up, when the policy says stop', () => {
    expect(decide(policy, [500, 900], 1_000)).toEqual({ action: 'stop', restarts: 2 });
  });

  it('escalates to the policy target once the restarts are used up, when the policy says escalate', () => {
    const escalating = { ...policy, then: 'escalate', escalateTo: 'coordinator' } as const;
    expect(decide(escalating, [500, 900], 1_000)).toEqual({
      action: 'escalate',
      to: 'coordinator',
      restarts: 2,
    });
  });

  it('forgets restarts older than the window', () => {
    expect(decide(policy, [0, 500], 10_600)).toEqual({ action: 'restart', delayMs: 100, restart: 1 });
    expect(decide(policy, [0, 5_000], 10_600)).toEqual({ action: 'restart', delayMs: 200, restart: 2 });
  });

  it('never restarts with maxRestarts 0', () => {
    expect(decide({ ...policy, maxRestarts: 0 }, [], 1)).toEqual({ action: 'stop', restarts: 0 });
  });

  it('takes the kind policy, else `*`, else the default', () => {
    const star = { ...policy, maxRestarts: 7 };
    expect(policyOf({ agent: policy, '*': star }, 'agent')).toBe(policy);
    expect(policyOf({ agent: policy, '*': star }, 'session')).toBe(star);
    expect(policyOf({}, 'session')).toBe(DEFAULT_RESTART_POLICY);
  });

  it('gives restarted commands a new id with the same root', () => {
    expect(restartedId('cmd-1', 1)).toBe('cmd-1#r1');
    expect(restartedId('cmd-1#r1', 2)).toBe('cmd-1#r2');
  });
});

describe('MOE_RESTART_POLICIES', () => {
  it('is empty when unset, and fills what a kind leaves out from `*`, then the default', () => {
    expect(restartPoliciesFromEnv({})).toEqual({});
    const p = restartPoliciesFromEnv({
      MOE_RESTART_POLICIES: JSON.stringify({
        '*': { then: 'stop' },
        agent: { maxRestarts: 5, escalateTo: 'org-admin' },
      }),
    });
    expect(p['*']).toEqual({ ...DEFAULT_RESTART_POLICY, then: 'stop' });
    expect(p.agent).toEqual({
      ...DEFAULT_RESTART_POLICY,
      then: 'stop',
      maxRestarts: 5,
      escalateTo: 'org-admin',
    });
  });

  it('refuses what is not a policy with MOE_ERR_RESTART_POLICY', () => {
    const bad = [
      'not json',
      '[]',
      '{"agent": 3}',
      '{"agent": {"maxRestarts": -1}}',
      '{"agent": {"then": "restart"}}',
      '{"agent": {"escalateTo": "everyone"}}',
      '{"agent": {"backoffBaseMs": 500, "backoffMaxMs": 100}}',
      '{"agent": {"retries": 2}}',
    ];
    for (const text of bad)
      expect(() => restartPoliciesFromEnv({ MOE_RESTART_POLICIES: text }), text).toThrow(
        expect.objectContaining({ code: 'MOE_ERR_RESTART_POLICY' }),
      );
    expect(parseRestartPolicy('p', { windowMs: 5 }).windowMs).toBe(5);
  });
});
