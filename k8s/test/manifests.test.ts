import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { book } from '@bookshop/book';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { delivery } from '@bookshop/delivery';
import { natsAuthorizationConfig } from '@bookshop/events';
import { mypage } from '@bookshop/mypage';
import { order } from '@bookshop/order';
import { contextDatabaseUrl } from '@bookshop/prisma';
import { review } from '@bookshop/review';
import { routerConfig } from '@bookshop/router';
import { describe, expect, it } from 'vitest';
import { testCredentialEnv } from '@bookshop/testing';
import { OVERLAYS, REPO_DIR, render, type K8sObject, type Overlay } from './render.js';
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
    const backend = ingress!.spec.rules[0].http.paths[0].backend.service;
    expect(backend.name).toBe('router');
    expect(named(objects, 'Service', 'router')!.spec.ports.some((p: any) => p.name === backend.port.name)).toBe(true);
    expect(Number(ingress!.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
  });
});
