import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { book } from '@bookshop/book';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { delivery } from '@bookshop/delivery';
import { natsAuthorizationConfig } from '@bookshop/events';
import { mypage } from '@bookshop/mypage';
import { order } from '@bookshop/order';
import { contextDatabaseUrl } from '@bookshop/prisma';
import { review } from '@bookshop/review';
import { routerConfig } from '@bookshop/router';
import { METRICS, METRIC_NAMES } from '@bookshop/runtime';
import { describe, expect, it } from 'vitest';
import { testCredentialEnv } from '@bookshop/testing';
import { parse as parseYaml } from 'yaml';
import { K8S_DIR, OVERLAYS, REPO_DIR, render, type K8sObject, type Overlay } from './render.js';
import { metricNamesIn } from './promql.js';
import { validateObject } from './schemas.js';
import { generatedManifests, STATELESS_SUBGRAPHS } from '../src/stateless-subgraphs.js';

/** Each shop service's own configuration reader: the manifests must satisfy it as the process would. */
const SERVICE_CONFIGS = {
  router: routerConfig,
  book: book.readConfig,
  order: order.readConfig,
  delivery: delivery.readConfig,
  review: review.readConfig,
  mypage: mypage.readConfig,
} as const;
type ServiceName = keyof typeof SERVICE_CONFIGS;
const SERVICES = Object.keys(SERVICE_CONFIGS) as ServiceName[];
const STATELESS = ['router', 'book', 'order', 'delivery'] as const;

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: any }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: any;
  livenessProbe?: any;
  startupProbe?: any;
  lifecycle?: any;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: any;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

// The dev overlay's secrets are made per checkout by a script (never committed); it keeps existing ones.
execFileSync('sh', [`${REPO_DIR}/k8s/overlays/dev/make-secrets.sh`], { stdio: 'ignore' });
const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, render(overlay)])) as Record<Overlay, K8sObject[]>;

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const podLabels = (workload: K8sObject): Record<string, string> => workload.spec.template.metadata.labels ?? {};
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
const containersOf = (workload: K8sObject): Container[] => workload.spec.template.spec.containers;
const initContainersOf = (workload: K8sObject): Container[] => workload.spec.template.spec.initContainers ?? [];
/** CloudNativePG labels the pods of Cluster <name> with cnpg.io/cluster=<name>. */
const cnpgPodLabels = (objects: K8sObject[]) => ofKind(objects, 'Cluster').map((cluster) => ({ 'cnpg.io/cluster': cluster.metadata.name }));

/**
 * Secrets that exist without being in the rendered overlay: CloudNativePG creates `<cluster>-app`
 * (key `uri`) for every Cluster; in prod, `bookshop-jwt` is created by hand or by the pipeline
 * (README: "Deploying to a cluster").
 */
function externalSecret(objects: K8sObject[], overlay: Overlay, name: string, key: string): string | undefined {
  const cluster = ofKind(objects, 'Cluster').find((c) => `${c.metadata.name}-app` === name);
  if (cluster && key === 'uri') return `postgresql://app:secret@${cluster.metadata.name}-rw:5432/app`;
  if (overlay === 'prod' && name === 'bookshop-jwt' && key === 'JWT_SECRET') return 'a-secret-made-outside-the-repository';
  if (overlay === 'prod' && name === 'bookshop-nats' && [...CONTEXT_NAMES, 'admin'].includes(key))
    return `${key}-nats-password-made-outside-the-repository`;
  if (overlay === 'prod' && name === 'bookshop-router-key' && key === 'SERVICE_SIGNING_KEY')
    return testCredentialEnv('router').SERVICE_SIGNING_KEY;
  if (overlay === 'prod' && name === 'bookshop-order-key' && key === 'SERVICE_SIGNING_KEY')
    return testCredentialEnv('order').SERVICE_SIGNING_KEY;
  if (overlay === 'prod' && name === 'bookshop-service-trust' && key === 'SERVICE_TRUSTED_KEYS')
    return testCredentialEnv('book').SERVICE_TRUSTED_KEYS;
  return undefined;
}

/** The environment a container gets, resolved the way the kubelet would; fails on a dangling reference. */
function resolveEnv(objects: K8sObject[], overlay: Overlay, workload: K8sObject, container: Container): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const source of container.envFrom ?? []) {
    const configMap = source.configMapRef && named(objects, 'ConfigMap', source.configMapRef.name);
    if (!configMap) throw new Error(`${container.name}: envFrom names a ConfigMap that is not rendered: ${JSON.stringify(source)}`);
    Object.assign(env, configMap.data);
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = variable.value;
    } else if (from.configMapKeyRef) {
      const value = named(objects, 'ConfigMap', from.configMapKeyRef.name)?.data?.[from.configMapKeyRef.key];
      if (value === undefined) throw new Error(`${container.name}: ${variable.name} names a missing ConfigMap key`);
      env[variable.name] = value;
    } else if (from.secretKeyRef) {
      const { name, key } = from.secretKeyRef;
      const secret = named(objects, 'Secret', name);
      const value =
        secret?.data?.[key] !== undefined
          ? Buffer.from(secret.data[key], 'base64').toString('utf8')
          : externalSecret(objects, overlay, name, key);
      if (value === undefined)
        throw new Error(`${container.name}: ${variable.name} names Secret ${name} key ${key}, which nothing provides`);
      env[variable.name] = value;
    } else if (from.fieldRef?.fieldPath === 'metadata.name') {
      env[variable.name] = `${workload.metadata.name}-0`;
    } else {
      throw new Error(`${container.name}: ${variable.name} has a source these checks do not know`);
    }
  }
  return env;
}

const ingressPaths = (ingress: K8sObject): any[] => ingress.spec.rules.flatMap((rule: any) => rule.http?.paths ?? []);

const isLocal = (url: string) => /127\.0\.0\.1|localhost/.test(url);
const serviceOfUrl = (objects: K8sObject[], url: string) => named(objects, 'Service', new URL(url).hostname);

// book.yaml, order.yaml and delivery.yaml are one template (k8s/src/stateless-subgraphs.ts), written by `pnpm k8s:generate`.
describe('k8s/base, generated manifests', () => {
  it('generates every stateless subgraph from the one template (only the router has a manifest of its own)', () => {
    expect(STATELESS_SUBGRAPHS.map((subgraph) => subgraph.name)).toEqual(STATELESS.filter((name) => name !== 'router'));
  });

  it.each(generatedManifests())('the committed $path is what k8s/src/stateless-subgraphs.ts renders', ({ file, path, text }) => {
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    expect(committed, `${path} differs from what k8s/src/stateless-subgraphs.ts renders: run \`pnpm k8s:generate\``).toBe(text);
  });
});

describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  const objects = rendered[overlay];
  const shopWorkloads = workloads(objects).filter((w) => SERVICES.includes(w.metadata.name as ServiceName));

  it('renders, and every object validates against its API schema', () => {
    expect(objects.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const object of objects) {
      try {
        validateObject(object);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a workload and a Service for every service of the shop, and the Services select their pods', () => {
    expect(shopWorkloads.map((w) => w.metadata.name).sort()).toEqual([...SERVICES].sort());
    for (const service of ofKind(objects, 'Service')) {
      const targets = workloads(objects).filter((w) => selects(service.spec.selector, podLabels(w)));
      expect({ service: service.metadata.name, selects: targets.length > 0 }).toEqual({ service: service.metadata.name, selects: true });
      for (const port of service.spec.ports) {
        if (typeof port.targetPort !== 'string') continue;
        const named = targets.every((w) => containersOf(w).some((c) => c.ports?.some((p) => p.name === port.targetPort)));
        expect({ service: service.metadata.name, targetPort: port.targetPort, exists: named }).toMatchObject({ exists: true });
      }
    }
  });

  it("gives every service the configuration it requires, from the ConfigMap and Secrets — as the service's own config reader sees it", () => {
    for (const workload of shopWorkloads) {
      const name = workload.metadata.name as ServiceName;
      const [container] = containersOf(workload);
      const env = resolveEnv(objects, overlay, workload, container!);
      const config = SERVICE_CONFIGS[name](env); // throws on a missing or invalid variable, as the process would
      expect({ name, port: config.port }).toEqual({ name, port: container!.ports!.find((p) => p.name === 'http')!.containerPort });
      if (overlay === 'prod') expect({ name, production: config.production }).toEqual({ name, production: true });
      if (name === 'router') {
        const urls = (config as ReturnType<typeof routerConfig>).subgraphUrls;
        for (const subgraph of SERVICES.filter((s) => s !== 'router')) {
          const url = urls[subgraph as keyof typeof urls];
          expect({ subgraph, url: url && !isLocal(url) ? 'set' : url }).toEqual({ subgraph, url: 'set' });
          const service = serviceOfUrl(objects, url!);
          expect(selects(service?.spec.selector, podLabels(workloads(objects).find((w) => w.metadata.name === subgraph)!))).toBe(true);
        }
        continue;
      }
      expect({ name, nats: isLocal(config.events.url) }).toEqual({ name, nats: false });
      const databaseUrl = (config as { databaseUrl: string }).databaseUrl;
      expect({ name, database: isLocal(databaseUrl) }).toEqual({ name, database: false });
      if (databaseUrl.startsWith('file:')) {
        // SQLite: the file is on the pod's volume, not on its read-only root filesystem.
        expect(
          container!.volumeMounts!.some((mount) => databaseUrl.startsWith(`file:${mount.mountPath}/`) && mount.mountPath !== '/tmp'),
        ).toBe(true);
      }
      if (name === 'order') {
        // order calls book (stock) and delivery (stopping a shipment) by their Services.
        const { SUBGRAPH_URL_BOOK: bookUrl, SUBGRAPH_URL_DELIVERY: deliveryUrl } = (config as ReturnType<typeof order.readConfig>).settings;
        for (const [callee, url] of [
          ['book', bookUrl],
          ['delivery', deliveryUrl],
        ] as const) {
          const service = serviceOfUrl(objects, url);
          expect({ callee, reached: selects(service?.spec.selector, podLabels(named(objects, 'Deployment', callee)!)) }).toEqual({
            callee,
            reached: true,
          });
        }
      }
    }
  });

  it('gives only the router and order a signing key, each its own, and every subgraph the public keys of both', () => {
    const envs = Object.fromEntries(shopWorkloads.map((w) => [w.metadata.name, resolveEnv(objects, overlay, w, containersOf(w)[0]!)]));
    const kidOf = (env: NodeJS.ProcessEnv) =>
      env.SERVICE_SIGNING_KEY ? (JSON.parse(env.SERVICE_SIGNING_KEY) as { kid: string }).kid.split('.')[0] : null;
    expect(Object.fromEntries(SERVICES.map((name) => [name, kidOf(envs[name]!)]))).toEqual({
      router: 'router',
      order: 'order',
      book: null,
      delivery: null,
      review: null,
      mypage: null,
    });
    for (const name of SERVICES.filter((s) => s !== 'router')) {
      const trusted = JSON.parse(envs[name]!.SERVICE_TRUSTED_KEYS ?? '[]') as Array<{ kid: string; d?: string }>;
      expect({
        name,
        owners: trusted.map((key) => key.kid.split('.')[0]).sort(),
        privateParts: trusted.filter((key) => key.d).length,
      }).toEqual({ name, owners: ['order', 'router'], privateParts: 0 });
    }
  });

  it('migrates each context before its service starts, on the same database the service uses', () => {
    for (const workload of shopWorkloads.filter((w) => w.metadata.name !== 'router')) {
      const context = workload.metadata.name as ContextName;
      const [migrate] = initContainersOf(workload);
      expect(migrate?.command).toEqual(['node', 'dist/migrate-cli.js', context]);
      expect(migrate!.image).toMatch(/bookshop[-/]migrate:/);
      const migrateEnv = resolveEnv(objects, overlay, workload, migrate!);
      const serviceEnv = resolveEnv(objects, overlay, workload, containersOf(workload)[0]!);
      expect(contextDatabaseUrl(context, migrateEnv)).toBe(contextDatabaseUrl(context, serviceEnv));
    }
  });

  it('probes /healthz and /readyz on the port the service listens on — paths the runtime serves', () => {
    const runtime = readFileSync(`${REPO_DIR}/packages/runtime/src/graphql-service.ts`, 'utf8');
    expect(runtime).toContain("url.pathname === '/healthz'");
    expect(runtime).toContain("url.pathname === '/readyz'");
    for (const workload of shopWorkloads) {
      const [container] = containersOf(workload);
      const probes = { startup: container!.startupProbe, readiness: container!.readinessProbe, liveness: container!.livenessProbe };
      expect({ workload: workload.metadata.name, paths: Object.values(probes).map((p) => p?.httpGet?.path) }).toEqual({
        workload: workload.metadata.name,
        paths: ['/healthz', '/readyz', '/healthz'],
      });
      for (const probe of Object.values(probes)) {
        expect(container!.ports!.some((port) => port.name === probe.httpGet.port || port.containerPort === probe.httpGet.port)).toBe(true);
      }
    }
  });

  it('rolls out without losing capacity, and gives each pod time to drain', () => {
    for (const workload of shopWorkloads) {
      const name = workload.metadata.name;
      const pod = workload.spec.template.spec;
      const [container] = containersOf(workload);
      const env = resolveEnv(objects, overlay, workload, container!);
      const preStopSeconds = Number(container!.lifecycle?.preStop?.exec?.command?.[1]);
      const drainSeconds = Number(env.SHUTDOWN_GRACE_MS) / 1000;
      expect({ name, preStop: preStopSeconds > 0, drain: drainSeconds > 0 }).toEqual({ name, preStop: true, drain: true });
      expect({ name, graceLongerThanDrain: pod.terminationGracePeriodSeconds > preStopSeconds + drainSeconds }).toEqual({
        name,
        graceLongerThanDrain: true,
      });
      if (name === 'review') {
        // SQLite on a ReadWriteOnce volume: one replica, replaced (not rolled).
        expect({ replicas: workload.spec.replicas, strategy: workload.spec.strategy.type }).toEqual({ replicas: 1, strategy: 'Recreate' });
        expect(
          pod.volumes.some(
            (volume: any) =>
              volume.persistentVolumeClaim && named(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName),
          ),
        ).toBe(true);
      } else if (workload.kind === 'StatefulSet') {
        expect(workload.spec.volumeClaimTemplates.length).toBeGreaterThan(0);
      } else {
        expect({ name, maxUnavailable: workload.spec.strategy.rollingUpdate.maxUnavailable }).toEqual({ name, maxUnavailable: 0 });
      }
    }
  });

  it('runs every container as non-root on a read-only root filesystem, with requests and limits', () => {
    for (const workload of workloads(objects)) {
      const pod = workload.spec.template.spec;
      for (const container of [...containersOf(workload), ...initContainersOf(workload)]) {
        const id = `${workload.metadata.name}/${container.name}`;
        expect({ id, runAsNonRoot: pod.securityContext?.runAsNonRoot ?? container.securityContext?.runAsNonRoot }).toEqual({
          id,
          runAsNonRoot: true,
        });
        expect({ id, readOnlyRootFilesystem: container.securityContext?.readOnlyRootFilesystem }).toEqual({
          id,
          readOnlyRootFilesystem: true,
        });
        expect({ id, cpu: !!container.resources?.requests?.cpu, memory: !!container.resources?.limits?.memory }).toEqual({
          id,
          cpu: true,
          memory: true,
        });
      }
    }
  });

  it('autoscales the stateless services: every HPA targets an existing Deployment whose containers request CPU', () => {
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    expect(hpas.map((hpa) => hpa.metadata.name).sort()).toEqual([...STATELESS].sort());
    for (const hpa of hpas) {
      const target = named(objects, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
      expect({ hpa: hpa.metadata.name, target: target?.kind }).toEqual({ hpa: hpa.metadata.name, target: 'Deployment' });
      expect(containersOf(target!).every((container) => container.resources?.requests?.cpu)).toBe(true);
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    }
  });

  it('keeps disruption budgets on pods that exist', () => {
    for (const budget of ofKind(objects, 'PodDisruptionBudget')) {
      const selected = workloads(objects).some((w) => selects(budget.spec.selector.matchLabels, podLabels(w)));
      expect({ budget: budget.metadata.name, selected }).toEqual({ budget: budget.metadata.name, selected: true });
    }
    for (const name of [...STATELESS, 'mypage', 'nats']) expect(named(objects, 'PodDisruptionBudget', name)).toBeDefined();
  });

  it('pins every image to a version (no latest), built by the Dockerfile from an existing package', () => {
    for (const workload of workloads(objects)) {
      for (const container of [...containersOf(workload), ...initContainersOf(workload)]) {
        const [, tag] = container.image.split(/:(?=[^:/]+$)/);
        expect({ image: container.image, tagged: !!tag && tag !== 'latest' }).toEqual({ image: container.image, tagged: true });
        const shopImage = /bookshop[-/](\w+):/.exec(container.image)?.[1];
        if (!shopImage) continue;
        const folder = shopImage === 'migrate' ? 'prisma' : shopImage === 'router' ? 'router' : `subgraphs/${shopImage}`;
        const pkg = JSON.parse(readFileSync(`${REPO_DIR}/${folder}/package.json`, 'utf8'));
        expect(pkg.name).toBe(`@bookshop/${shopImage === 'migrate' ? 'prisma' : shopImage}`);
      }
    }
    for (const cluster of ofKind(objects, 'Cluster')) expect(cluster.spec.imageName).toMatch(/:\d+\.\d+/);
  });

  it('lets subgraphs be reached only from the router (book and delivery also from order), and each database only from its owner', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    const podsOf = [...workloads(objects).map(podLabels), ...cnpgPodLabels(objects)];
    expect(
      policies.some((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.policyTypes.includes('Ingress') && !p.spec.ingress),
    ).toBe(true);
    for (const policy of policies.filter((p) => p.spec.podSelector.matchLabels)) {
      expect({
        policy: policy.metadata.name,
        selects: podsOf.some((labels) => selects(policy.spec.podSelector.matchLabels, labels)),
      }).toEqual({
        policy: policy.metadata.name,
        selects: true,
      });
    }
    /** Which workloads' pods may open connections to pods with these labels. */
    const allowedCallers = (target: Record<string, string>) =>
      policies
        .filter((p) => selects(p.spec.podSelector.matchLabels, target))
        .flatMap((p) => p.spec.ingress ?? [])
        .flatMap((rule: any) => rule.from ?? [])
        .flatMap((peer: any) =>
          peer.podSelector ? workloads(objects).filter((w) => selects(peer.podSelector.matchLabels, podLabels(w))) : [],
        )
        .map((w) => w.metadata.name);
    for (const subgraph of CONTEXT_NAMES) {
      const workload = workloads(objects).find((w) => w.metadata.name === subgraph)!;
      expect({ subgraph, callers: [...new Set(allowedCallers(podLabels(workload)))].sort() }).toEqual({
        subgraph,
        callers: subgraph === 'book' || subgraph === 'delivery' ? ['order', 'router'] : ['router'],
      });
    }
    for (const labels of cnpgPodLabels(objects)) {
      const owner = labels['cnpg.io/cluster'].replace(/-db$/, '');
      expect({ database: labels['cnpg.io/cluster'], callers: [...new Set(allowedCallers(labels))] }).toEqual({
        database: labels['cnpg.io/cluster'],
        callers: [owner],
      });
    }
  });

  it('runs NATS JetStream as a 3-node cluster holding the stream on every node, and PostgreSQL through CloudNativePG', () => {
    const nats = named(objects, 'StatefulSet', 'nats')!;
    expect(nats.spec.replicas).toBe(3);
    expect(nats.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const conf = named(objects, 'ConfigMap', 'nats-config')!.data!['nats.conf']!;
    expect(conf).toMatch(/jetstream \{/);
    expect(conf.match(/nats:\/\/nats-\d\.nats-cluster:6222/g)).toHaveLength(3);
    const config = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('bookshop-config'))!;
    expect(Number(config.data!.EVENT_STREAM_REPLICAS)).toBe(3);
    const clusters = ofKind(objects, 'Cluster').map((c) => [c.metadata.name, c.spec.instances]);
    expect(clusters.sort()).toEqual(['book-db', 'delivery-db', 'order-db'].map((name) => [name, overlay === 'prod' ? 3 : 1]));
  });

  it('gives every context its own NATS user from the Secret, and NATS one user per context that publishes only its own subjects', () => {
    const nats = named(objects, 'StatefulSet', 'nats')!;
    const [natsContainer] = containersOf(nats);
    const natsEnv = resolveEnv(objects, overlay, nats, natsContainer!);
    const files = named(objects, 'ConfigMap', 'nats-config')!.data!;
    expect(files['nats.conf']).toContain('include ./auth.conf');
    const settings = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('bookshop-config'))!.data!;
    for (const context of CONTEXT_NAMES) {
      const workload = shopWorkloads.find((w) => w.metadata.name === context)!;
      const [container] = containersOf(workload);
      const password = container!.env!.find((variable) => variable.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef;
      expect({ context, password: { name: password?.name.replace(/-[a-z0-9]{10}$/, ''), key: password?.key } }).toEqual({
        context,
        password: { name: 'bookshop-nats', key: context },
      });
      const env = resolveEnv(objects, overlay, workload, container!);
      // The server reads the same password, from the same Secret, for the user of that name.
      expect({ context, user: env.NATS_USER, password: env.NATS_PASSWORD }).toEqual({
        context,
        user: context,
        password: natsEnv[`${context.toUpperCase()}_PASSWORD`],
      });
      expect(env.NATS_PASSWORD).toBeTruthy();
      expect(files['auth.conf']).toContain(`user: "${context}"\n      password: $${context.toUpperCase()}_PASSWORD\n`);
    }
    // Each user's publish rights, read from the config: its own events only (my page owns none), no wildcard beyond them.
    const users = files['auth.conf']!.split('user: "').slice(1);
    expect(users.map((user) => user.slice(0, user.indexOf('"')))).toEqual([...CONTEXT_NAMES, 'admin']);
    for (const user of users.slice(0, CONTEXT_NAMES.length)) {
      const context = user.slice(0, user.indexOf('"')) as ContextName;
      const publish = [...user.slice(user.indexOf('publish:'), user.indexOf('subscribe:')).matchAll(/"([^"]+)"/g)].map(
        (match) => match[1]!,
      );
      const events = publish.filter(
        (subject) => subject.startsWith(`${settings.EVENT_PREFIX}.`) && !subject.startsWith(`${settings.EVENT_PREFIX}.deadletter.`),
      );
      expect({ context, events }).toEqual({ context, events: context === 'mypage' ? [] : [`${settings.EVENT_PREFIX}.${context}.>`] });
      expect({
        context,
        wide: publish.filter((subject) => /^(>|\$JS\.API\.>|\$JS\.>|_INBOX\.>|\*\..*)$/.test(subject) || subject.includes('STREAM.UPDATE')),
      }).toEqual({ context, wide: [] });
    }
    // Exactly what permissions.ts writes for this prefix and stream, with a durable for every my page pod.
    const mypage = named(objects, 'StatefulSet', 'mypage')!;
    const allowedPods = [0, 1, 2, 3, 4].map((ordinal) => `mypage-mypage-${ordinal}`); // consumerName(pod name), subgraphs/mypage/src/events.ts
    expect(mypage.spec.replicas).toBeLessThanOrEqual(allowedPods.length);
    expect(files['auth.conf']).toBe(
      natsAuthorizationConfig({
        prefix: settings.EVENT_PREFIX!,
        stream: settings.EVENT_STREAM!,
        passwords: Object.fromEntries(CONTEXT_NAMES.map((context) => [context, { env: `${context.toUpperCase()}_PASSWORD` }])) as Record<
          ContextName,
          { env: string }
        >,
        durables: { mypage: allowedPods },
        admin: { user: 'admin', password: { env: 'ADMIN_PASSWORD' } },
      }),
    );
  });

  it(
    overlay === 'prod'
      ? 'speaks TLS to NATS: the servers present the certificate from nats-tls, the services require TLS and trust its CA'
      : 'speaks plain TCP to NATS in development',
    () => {
      const settings = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('bookshop-config'))!.data!;
      const files = named(objects, 'ConfigMap', 'nats-config')!.data!;
      expect(files['nats.conf']).toContain('include ./tls.conf');
      if (overlay !== 'prod') {
        expect(settings.NATS_URL).toMatch(/^nats:\/\//);
        return;
      }
      expect(settings.NATS_URL).toMatch(/^tls:\/\//);
      expect(files['tls.conf']).toMatch(/tls \{[^}]*cert_file: \/etc\/nats-tls\/tls\.crt/);
      expect(files['cluster-tls.conf']).toMatch(/tls \{[^}]*ca_file: \/etc\/nats-tls\/ca\.crt/);
      const mountedSecret = (workload: K8sObject, container: Container, file: string) => {
        const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
        return workload.spec.template.spec.volumes.find((volume: any) => volume.name === mount?.name)?.secret?.secretName;
      };
      const nats = named(objects, 'StatefulSet', 'nats')!;
      expect(mountedSecret(nats, containersOf(nats)[0]!, '/etc/nats-tls/tls.crt')).toBe('nats-tls');
      for (const context of CONTEXT_NAMES) {
        const workload = shopWorkloads.find((w) => w.metadata.name === context)!;
        const [container] = containersOf(workload);
        const ca = resolveEnv(objects, overlay, workload, container!).NODE_EXTRA_CA_CERTS;
        expect({ context, ca: ca && mountedSecret(workload, container!, ca) }).toEqual({ context, ca: 'nats-tls' });
      }
    },
  );

  it('exposes only the router, through an Ingress that keeps WebSocket connections open', () => {
    const [ingress, ...others] = ofKind(objects, 'Ingress');
    expect(others).toEqual([]);
    for (const path of ingressPaths(ingress!)) {
      const backend = path.backend.service;
      expect(backend.name).toBe('router');
      expect(named(objects, 'Service', 'router')!.spec.ports.some((p: any) => p.name === backend.port.name)).toBe(true);
    }
    expect(Number(ingress!.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
  });

  it('routes only /graphql from outside: /metrics, /healthz and /readyz on the same port stay inside the cluster', () => {
    const ingresses = ofKind(objects, 'Ingress');
    const paths = ingresses.flatMap((ingress) => ingressPaths(ingress).map(({ path, pathType }) => ({ path, pathType })));
    expect(paths.length).toBeGreaterThan(0);
    expect(paths).toEqual(paths.map(() => ({ path: '/graphql', pathType: 'Exact' })));
    expect(ingresses.filter((ingress) => ingress.spec.defaultBackend)).toEqual([]);
  });
});

/** A label selector as the API reads it (matchLabels and matchExpressions); an empty one selects everything. */
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

function selectorSelects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key]!);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key]!);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
      }
    })
  );
}

/** The catalogue's metric a series belongs to (a histogram's _bucket, _sum and _count are its own), or undefined. */
function catalogueMetric(series: string): string | undefined {
  if ((METRIC_NAMES as readonly string[]).includes(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return Object.values(METRICS).some((metric) => metric.kind === 'histogram' && metric.name === base) ? base : undefined;
}

/** prom-client's Node process metrics, which every process exports beside the catalogue's (startProcessMetrics). */
const isProcessMetric = (series: string) => /^(process|nodejs)_/.test(series);

const SOURCE_FOLDERS = [
  'router',
  ...['packages', 'subgraphs'].flatMap((dir) => readdirSync(`${REPO_DIR}/${dir}`).map((name) => `${dir}/${name}`)),
];
const sourceTexts = new Map<string, string[]>();
/** The texts of a folder's TypeScript sources, tests and generated code left out. */
function sourcesOf(folder: string): string[] {
  const src = `${REPO_DIR}/${folder}/src`;
  if (!sourceTexts.has(folder)) {
    const files = existsSync(src) ? (readdirSync(src, { recursive: true }) as string[]) : [];
    sourceTexts.set(
      folder,
      files
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('generated'))
        .map((file) => readFileSync(`${src}/${file}`, 'utf8')),
    );
  }
  return sourceTexts.get(folder)!;
}

/** The folders (packages/events, subgraphs/order, router, …) whose sources create the catalogue metric `name`. */
function creatorsOf(name: string): string[] {
  const key = Object.entries(METRICS).find(([, metric]) => metric.name === name)![0];
  const creates = new RegExp(`\\bMETRICS\\.${key}\\b`);
  return SOURCE_FOLDERS.filter((folder) => sourcesOf(folder).some((text) => creates.test(text)));
}

/** The service a folder is, when it is one service's own (router, subgraphs/<name>); shared packages are none. */
const serviceOfFolder = (folder: string) =>
  folder === 'router' ? 'router' : folder.startsWith('subgraphs/') ? folder.slice('subgraphs/'.length) : undefined;

const DASHBOARD_FILE = `${K8S_DIR}/base/dashboards/bookshop.json`;

describe('metricNamesIn (the PromQL the alerts and the dashboard hold)', () => {
  it('finds every metric name, and nothing else', () => {
    expect(
      metricNamesIn(
        'sum by (service, le) (rate(a_total{service=~"$service",status_class="5xx"}[$__rate_interval])) / on(pod) group_left b_seconds > 0.05 and c offset 5m',
      ),
    ).toEqual(['a_total', 'b_seconds', 'c']);
    expect(metricNamesIn('histogram_quantile(0.99, sum without (pod) (rate(d_bucket[5m]))) > 1e3 or vector(0)')).toEqual(['d_bucket']);
    expect(metricNamesIn('changes(bookshop_ready[10m]) > 4')).toEqual(['bookshop_ready']);
  });
});

describe.each(OVERLAYS)('k8s/overlays/%s, observability', (overlay) => {
  const objects = rendered[overlay];
  const shopWorkloads = workloads(objects).filter((w) => SERVICES.includes(w.metadata.name as ServiceName));
  const policies = ofKind(objects, 'NetworkPolicy');
  const serviceMonitors = ofKind(objects, 'ServiceMonitor');
  const alerts = ofKind(objects, 'PrometheusRule').flatMap((rule) =>
    rule.spec.groups.flatMap((group: any) => group.rules.filter((r: any) => r.alert)),
  ) as Array<{ alert: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;
  const collector = named(objects, 'Deployment', 'otel-collector')!;

  /** The Services a ServiceMonitor scrapes and, for each, the endpoint it scrapes them by. */
  const scraped = () =>
    serviceMonitors.flatMap((monitor) => {
      expect({ monitor: monitor.metadata.name, namespaceSelector: monitor.spec.namespaceSelector }).toEqual({
        monitor: monitor.metadata.name,
        namespaceSelector: undefined, // its own namespace, the Services'
      });
      return ofKind(objects, 'Service')
        .filter((service) => selectorSelects(monitor.spec.selector, service.metadata.labels ?? {}))
        .flatMap((service) =>
          monitor.spec.endpoints
            .filter((endpoint: any) => service.spec.ports.some((port: any) => port.name === endpoint.port))
            .map((endpoint: any) => ({ service, endpoint })),
        );
    });

  it('scrapes /metrics every 15 s from every shop service, each pod through one Service only', () => {
    const runtime = readFileSync(`${REPO_DIR}/packages/runtime/src/graphql-service.ts`, 'utf8');
    expect(runtime).toContain("url.pathname === '/metrics'");
    expect(serviceMonitors.length).toBeGreaterThan(0);
    const targets = scraped();
    for (const { service, endpoint } of targets) {
      expect({ service: service.metadata.name, path: endpoint.path, interval: endpoint.interval }).toEqual({
        service: service.metadata.name,
        path: '/metrics',
        interval: '15s',
      });
      // Only the shop's own processes have a /metrics: the Service's pods are one of its workloads.
      const pods = workloads(objects).filter((w) => selects(service.spec.selector, podLabels(w)));
      expect({ service: service.metadata.name, pods: pods.map((w) => w.metadata.name) }).toEqual({
        service: service.metadata.name,
        pods: pods.filter((w) => shopWorkloads.includes(w)).map((w) => w.metadata.name),
      });
    }
    for (const workload of shopWorkloads) {
      const through = targets.filter(({ service }) => selects(service.spec.selector, podLabels(workload)));
      expect({ workload: workload.metadata.name, services: through.map(({ service }) => service.metadata.name) }).toEqual({
        workload: workload.metadata.name,
        services: [workload.metadata.name],
      });
      // The Service port the endpoint names leads to the container port /metrics is served on.
      const { service, endpoint } = through[0]!;
      const port = service.spec.ports.find((p: any) => p.name === endpoint.port);
      expect({ workload: workload.metadata.name, targetPort: port.targetPort }).toEqual({
        workload: workload.metadata.name,
        targetPort: 'http',
      });
      expect(containersOf(workload)[0]!.ports!.some((p) => p.name === 'http')).toBe(true);
    }
  });

  it('lets Prometheus (namespace monitoring) reach the http port of every shop pod, and nothing else', () => {
    const fromMonitoring = (peer: any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring';
    const rules = policies.flatMap((policy) =>
      (policy.spec.ingress ?? []).filter((rule: any) => (rule.from ?? []).some(fromMonitoring)).map((rule: any) => ({ policy, rule })),
    );
    for (const workload of shopWorkloads) {
      const open = rules.some(
        ({ policy, rule }) =>
          selectorSelects(policy.spec.podSelector, podLabels(workload)) && rule.ports?.some((p: any) => p.port === 'http'),
      );
      expect({ workload: workload.metadata.name, open }).toEqual({ workload: workload.metadata.name, open: true });
    }
    const otherPods = [
      ...workloads(objects)
        .filter((w) => !shopWorkloads.includes(w))
        .map(podLabels),
      ...cnpgPodLabels(objects),
    ];
    for (const { policy, rule } of rules) {
      const others = otherPods.filter((labels) => selectorSelects(policy.spec.podSelector, labels));
      expect({ policy: policy.metadata.name, others, ports: rule.ports }).toEqual({
        policy: policy.metadata.name,
        others: [],
        ports: [{ port: 'http' }],
      });
    }
  });

  it('alerts only on metrics the services export, and names the services whose /metrics carries each', () => {
    const scrapedServices = scraped().map(({ service }) => service.metadata.name);
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      const names = metricNamesIn(alert.expr);
      expect({ alert: alert.alert, unknown: names.filter((name) => !catalogueMetric(name) && !isProcessMetric(name)) }).toEqual({
        alert: alert.alert,
        unknown: [],
      });
      expect(names.length).toBeGreaterThan(0);
      const carriers = (alert.annotations?.metric_services ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      expect({ alert: alert.alert, carriers: carriers.length > 0 && carriers.every((name) => scrapedServices.includes(name)) }).toEqual({
        alert: alert.alert,
        carriers: true,
      });
      // An expression pinned to services names exactly those.
      const pinned = [...alert.expr.matchAll(/\bservice="([^"]+)"/g)].map((match) => match[1]!);
      if (pinned.length > 0) expect({ alert: alert.alert, carriers }).toEqual({ alert: alert.alert, carriers: [...new Set(pinned)] });
      // A metric that only services' own code creates (not a shared package) is carried by exactly those.
      for (const metric of names.map(catalogueMetric).filter((name) => name !== undefined)) {
        const folders = creatorsOf(metric);
        expect({ metric, created: folders.length > 0 }).toEqual({ metric, created: true });
        const owners = folders.map(serviceOfFolder);
        if (owners.every((owner) => owner !== undefined)) {
          expect({ alert: alert.alert, carriers: [...carriers].sort() }).toEqual({
            alert: alert.alert,
            carriers: [...new Set(owners)].sort(),
          });
        }
      }
      expect({ alert: alert.alert, severity: ['warning', 'critical'].includes(alert.labels?.severity ?? '') }).toEqual({
        alert: alert.alert,
        severity: true,
      });
      expect({ alert: alert.alert, summary: !!alert.annotations?.summary, description: !!alert.annotations?.description }).toEqual({
        alert: alert.alert,
        summary: true,
        description: true,
      });
    }
    const alerted = new Set(alerts.flatMap((alert) => metricNamesIn(alert.expr).map(catalogueMetric)));
    for (const metric of [
      METRICS.outboxOldestPendingAge,
      METRICS.consumerLag,
      METRICS.circuitBreakerOpen,
      METRICS.eventsDeadLettered,
      METRICS.httpResponses,
      METRICS.ready,
    ]) {
      expect({ metric: metric.name, alerted: alerted.has(metric.name) }).toEqual({ metric: metric.name, alerted: true });
    }
  });

  it('ships the Grafana dashboard, a panel for every metric of the catalogue, to the sidecar', () => {
    const text = readFileSync(DASHBOARD_FILE, 'utf8');
    const dashboard = JSON.parse(text);
    const configMap = ofKind(objects, 'ConfigMap').find((c) => c.metadata.labels?.grafana_dashboard === '1');
    expect(configMap?.data && JSON.parse(configMap.data['bookshop.json']!)).toEqual(dashboard);
    expect(typeof dashboard.schemaVersion).toBe('number');
    expect(dashboard.uid).toBeTruthy();
    const datasource = dashboard.templating.list.find((variable: any) => variable.type === 'datasource');
    expect(datasource?.query).toBe('prometheus');
    const panels = dashboard.panels.filter((panel: any) => panel.type !== 'row');
    const ids = dashboard.panels.map((panel: any) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos ?? {};
      expect({ panel: panel.title, fits: [x, y, w, h].every(Number.isInteger) && x >= 0 && w > 0 && h > 0 && x + w <= 24 }).toEqual({
        panel: panel.title,
        fits: true,
      });
    }
    const used = new Set<string>();
    for (const panel of panels) {
      expect({ panel: panel.title, datasource: panel.datasource?.uid }).toEqual({
        panel: panel.title,
        datasource: `\${${datasource.name}}`,
      });
      expect({ panel: panel.title, targets: panel.targets?.length > 0 && panel.targets.every((t: any) => t.expr) }).toEqual({
        panel: panel.title,
        targets: true,
      });
      for (const name of panel.targets.flatMap((target: any) => metricNamesIn(target.expr))) {
        expect({ panel: panel.title, name, known: !!catalogueMetric(name) || isProcessMetric(name) }).toEqual({
          panel: panel.title,
          name,
          known: true,
        });
        used.add(catalogueMetric(name) ?? name);
      }
    }
    expect(METRIC_NAMES.filter((name) => !used.has(name))).toEqual([]);
    expect(['process_cpu_seconds_total', 'process_resident_memory_bytes'].filter((name) => !used.has(name))).toEqual([]);
  });

  it("sends every shop service's traces, through bookshop-config, to the collector's OTLP/HTTP receiver", () => {
    const config = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('bookshop-config'))!;
    const endpoint = config.data!.OTEL_EXPORTER_OTLP_ENDPOINT!;
    expect(config.data!.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
    for (const workload of shopWorkloads) {
      const [container] = containersOf(workload);
      const env = resolveEnv(objects, overlay, workload, container!);
      expect({
        workload: workload.metadata.name,
        fromConfigMap: container!.envFrom?.some((source) => source.configMapRef?.name === config.metadata.name),
        own: (container!.env ?? []).filter((variable) => variable.name.startsWith('OTEL_')).map((variable) => variable.name),
        endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
        protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL,
      }).toEqual({ workload: workload.metadata.name, fromConfigMap: true, own: [], endpoint, protocol: 'http/protobuf' });
    }
    // The endpoint's Service leads to the collector's container port that its OTLP/HTTP receiver listens on.
    const url = new URL(endpoint);
    const service = serviceOfUrl(objects, endpoint)!;
    expect(selects(service.spec.selector, podLabels(collector))).toBe(true);
    const servicePort = service.spec.ports.find((port: any) => port.port === Number(url.port));
    const [collectorContainer] = containersOf(collector);
    const containerPort = collectorContainer!.ports!.find((port) => port.name === servicePort.targetPort)!.containerPort;
    const receiver = collectorConfig().receivers.otlp.protocols.http.endpoint as string;
    expect(Number(receiver.split(':').at(-1))).toBe(containerPort);
  });

  /** The collector's own configuration: the file its --config names, from the ConfigMap mounted there. */
  function collectorConfig(): any {
    const [container] = containersOf(collector);
    const file = container!.args!.map((arg) => /^--config=(.+)$/.exec(arg)?.[1]).find(Boolean)!;
    const mount = container!.volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`))!;
    const volume = collector.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    return parseYaml(named(objects, 'ConfigMap', volume.configMap.name)!.data![file.slice(mount.mountPath.length + 1)]!);
  }

  it('runs the OpenTelemetry Collector: OTLP in, memory-limited and batched, out to the tracing backend', () => {
    const [container] = containersOf(collector);
    expect(container!.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    const config = collectorConfig();
    const port = (endpoint: string) => Number(endpoint.split(':').at(-1));
    const containerPort = (name: string) => container!.ports!.find((p) => p.name === name)?.containerPort;
    expect(port(config.receivers.otlp.protocols.grpc.endpoint)).toBe(containerPort('otlp-grpc'));
    expect(port(config.receivers.otlp.protocols.http.endpoint)).toBe(containerPort('otlp-http'));
    const traces = config.service.pipelines.traces;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.processors[0]).toBe('memory_limiter');
    expect(traces.processors).toContain('batch');
    expect(traces.exporters).not.toContain('debug');
    for (const exporter of traces.exporters) expect(config.exporters[exporter]?.endpoint).toBeTruthy();
    // The probes ask the health_check extension, on the port it listens on.
    expect(config.service.extensions).toContain('health_check');
    for (const probe of [container!.readinessProbe, container!.livenessProbe]) {
      expect(containerPort(probe.httpGet.port)).toBe(port(config.extensions.health_check.endpoint));
    }
  });

  it("lets only the shop's own pods reach the collector, and only on its OTLP ports", () => {
    const guarding = policies.filter((policy) => selectorSelects(policy.spec.podSelector, podLabels(collector)));
    const rules = guarding.flatMap((policy) => policy.spec.ingress ?? []);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.from?.length).toBeGreaterThan(0);
      for (const peer of rule.from) {
        expect(peer).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'bookshop' } } });
      }
      expect(rule.ports).toEqual([{ port: 'otlp-grpc' }, { port: 'otlp-http' }]);
    }
    for (const workload of shopWorkloads) {
      const allowed = rules.some((rule: any) => rule.from.some((peer: any) => selectorSelects(peer.podSelector, podLabels(workload))));
      expect({ workload: workload.metadata.name, allowed }).toEqual({ workload: workload.metadata.name, allowed: true });
    }
  });
});
