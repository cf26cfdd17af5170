/**
 * The Kubernetes manifests (deploy/k8s) hang together: every manifest in the directory is a
 * resource of the kustomization, and every object that points at a workload — a Service's or a
 * PodDisruptionBudget's selector, a NetworkPolicy's pod selector, an autoscaler's target — finds
 * one (a typo in a label would leave a budget or an autoscaler silently guarding nothing). No
 * cluster here: `kubectl kustomize deploy/k8s` renders them (docs/deploy.md, Kubernetes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const DIR = resolve(import.meta.dirname, '../../deploy/k8s');

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
};
const objects: K8sObject[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null),
);

/** Deployments and StatefulSets with the labels of their pods. */
const workloads = objects
  .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
  .map((o) => ({
    kind: o.kind,
    name: o.metadata.name,
    podLabels:
      (o.spec?.template as { metadata?: { labels?: Record<string, string> } })?.metadata?.labels ?? {},
  }));

const selects = (selector: Record<string, string>) =>
  workloads.filter((w) => Object.entries(selector).every(([k, v]) => w.podLabels[k] === v));

describe('deploy/k8s', () => {
  it('lists every manifest of the directory in the kustomization', () => {
    const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
  });

  it('points every budget, service, policy and autoscaler at a workload that exists', () => {
    const checked: string[] = [];
    for (const o of objects) {
      const spec = o.spec ?? {};
      let selector: Record<string, string> | undefined;
      if (o.kind === 'PodDisruptionBudget' || o.kind === 'NetworkPolicy')
        selector = ((spec.selector ?? spec.podSelector) as { matchLabels: Record<string, string> })
          .matchLabels;
      else if (o.kind === 'Service') selector = spec.selector as Record<string, string>;
      else if (o.kind === 'HorizontalPodAutoscaler') {
        const target = spec.scaleTargetRef as { kind: string; name: string };
        expect(
          workloads.some((w) => w.kind === target.kind && w.name === target.name),
          o.metadata.name,
        ).toBe(true);
        checked.push(`${o.kind}/${o.metadata.name}`);
        continue;
      } else continue;
      expect(selects(selector).length, `${o.kind}/${o.metadata.name}`).toBeGreaterThan(0);
      checked.push(`${o.kind}/${o.metadata.name}`);
    }
    // the budgets of every workload and the gateway's autoscaler are among them
    expect(checked).toEqual(
      expect.arrayContaining([
        'PodDisruptionBudget/moe-nats',
        'PodDisruptionBudget/moe-workspace-node',
        'PodDisruptionBudget/moe-gateway',
        'PodDisruptionBudget/moe-supervisor',
        'HorizontalPodAutoscaler/moe-gateway',
      ]),
    );
  });
});
