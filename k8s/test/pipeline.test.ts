import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_DIR, render } from './render.js';

const workflow = parse(readFileSync(`${REPO_DIR}/.github/workflows/ci.yml`, 'utf8'));
const steps = (job: string): Array<{ run?: string; uses?: string; with?: Record<string, string> }> => workflow.jobs[job].steps;
const runs = (job: string) =>
  steps(job)
    .map((step) => step.run ?? '')
    .join('\n');
const prodWorkloads = render('prod').filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

describe('the delivery pipeline (.github/workflows/ci.yml)', () => {
  it('runs the project CI (.ci/run) on every push and pull request', () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(runs('test')).toContain('.ci/run');
  });

  it('after the tests, builds and pushes one image per service tagged with the commit', () => {
    expect(workflow.jobs.images.needs).toBe('test');
    const packages: string[] = workflow.jobs.images.strategy.matrix.package;
    const prodImages = prodWorkloads
      .flatMap((w) => [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])])
      .map((container: { image: string }) => /bookshop-(\w+):/.exec(container.image)?.[1])
      .filter(Boolean);
    // Every shop image the prod overlay runs is built (migrate comes from the prisma package).
    expect(new Set(prodImages)).toEqual(new Set(packages.map((p) => (p === 'prisma' ? 'migrate' : p))));
    const build = steps('images').find((step) => step.uses?.startsWith('docker/build-push-action'))!;
    expect(build.with!['build-args']).toBe('PACKAGE=${{ matrix.package }}');
    expect(build.with!.tags).toContain('${{ github.sha }}');
    expect(String(build.with!.push)).toBe('true');
  });

  it('rolls the prod overlay out with those images and waits for every workload', () => {
    expect(workflow.jobs.deploy.needs).toBe('images');
    const script = runs('deploy');
    const prod = parse(readFileSync(`${REPO_DIR}/k8s/overlays/prod/kustomization.yaml`, 'utf8'));
    const setImage = /for service in ([\w ]+); do\s+kustomize edit set image "bookshop\/\$\{service\}=/.exec(script);
    expect(setImage).not.toBeNull();
    expect(new Set(setImage![1]!.trim().split(/\s+/))).toEqual(
      new Set(prod.images.map((image: { name: string }) => image.name.split('/')[1])),
    );
    expect(script).toContain('kubectl apply -k k8s/overlays/prod');
    // NATS and the OpenTelemetry Collector run images the commit does not change: the roll-out waits for the shop's own.
    const workloads = prodWorkloads
      .filter((o) => !['broker', 'telemetry'].includes(o.metadata.labels?.['app.kubernetes.io/component'] ?? ''))
      .map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
    for (const workload of workloads) expect(script).toContain(workload);
  });
});
