import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EnvSpec } from '@ward/config';
import { BUILTIN_ACTIONS, parsePlaybook } from '@ward/playbooks';
import {
  helm,
  k8sValidateBinary,
  runHelm,
  validatedKubeVersion,
  validateManifests,
} from '@ward/testing';
import { parse, parseAllDocuments, stringify } from 'yaml';
/* eslint-disable @nx/enforce-module-boundaries, no-restricted-imports --
   What a pod may be given is what each service's own configuration declares;
   the declarations live in the apps, which no library may import. */
import { monitorEnv } from '../../apps/behavioral-monitor/src/config/monitor.config';
import { fusionEnv } from '../../apps/fusion/src/config/fusion.config';
import { policyEnv } from '../../apps/policy-generator/src/config/policy.config';
import { responseEnv } from '../../apps/response-engine/src/config/response.config';
import { ingestEnv } from '../../apps/sentinel-ingest/src/config/ingest.config';
/* eslint-enable @nx/enforce-module-boundaries, no-restricted-imports */

/**
 * The Helm chart, checked with the real Helm (`helm lint --strict`, `helm
 * template`) and every rendered object validated offline against the upstream
 * Kubernetes and Prometheus Operator Go types by deploy/k8s-validate (strict
 * decoding: an unknown field or a wrong type fails), for the default values and
 * for a production-like installation (ci/production-values.yaml).
 */
const ROOT = join(__dirname, '../..');
const CHART = 'helm/ward';
const PRODUCTION = 'helm/ward/ci/production-values.yaml';
const NAMESPACE = 'ward-test';
const SERVICES = {
  'sentinel-ingest': 3001,
  'behavioral-monitor': 3002,
  fusion: 3003,
  'response-engine': 3004,
  'policy-generator': 3005,
} as const;
/** Environment variables that hold secrets: they may only come from a Secret (as a variable or a mounted file). */
const SECRET_ENV =
  /^(DATABASE_URL|REDIS_URL|KAFKA_SASL_USERNAME|KAFKA_SASL_PASSWORD)$|_TOKEN$|_SECRET$/;
/** Each service's environment specification (libs/config and its own). */
const SPECS: Record<keyof typeof SERVICES, EnvSpec> = {
  'sentinel-ingest': ingestEnv,
  'behavioral-monitor': monitorEnv,
  fusion: fusionEnv,
  'response-engine': responseEnv,
  'policy-generator': policyEnv,
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface KeyToPath {
  key: string;
  path: string;
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number };
  configMap?: { name: string; items?: KeyToPath[] };
  projected?: {
    defaultMode?: number;
    sources: { secret?: { name: string; items: KeyToPath[] } }[];
  };
  [key: string]: unknown;
}
interface PodSpec {
  restartPolicy?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Volume[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    template?: { spec: PodSpec };
    [key: string]: unknown;
  };
}

interface Render {
  readonly yaml: string;
  readonly objects: K8sObject[];
}

function render(extraArgs: readonly string[] = []): Render {
  const yaml = helm([
    'template',
    'ward',
    CHART,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    validatedKubeVersion(),
    ...extraArgs,
  ]);
  const objects = parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return { yaml, objects };
}

const ofKind = (r: Render, kind: string) => r.objects.filter((o) => o.kind === kind);
const named = (r: Render, kind: string, name: string): K8sObject => {
  const found = r.objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    throw new Error(`no ${kind} ${name} in the rendered chart`);
  }
  return found;
};
const podOf = (o: K8sObject): PodSpec => o.spec!.template!.spec;
const componentOf = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];

/** Every variable a container gets: its env entries and the data of the ConfigMaps it loads. */
function environmentOf(r: Render, container: Container): Map<string, EnvVar> {
  const out = new Map<string, EnvVar>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      for (const [name, value] of Object.entries(
        named(r, 'ConfigMap', from.configMapRef.name).data ?? {},
      )) {
        out.set(name, { name, value });
      }
    }
  }
  for (const entry of container.env ?? []) {
    out.set(entry.name, entry);
  }
  return out;
}

/**
 * Where a file a container is told about comes from: the volume mounted at
 * the file's folder and the Secret or ConfigMap key behind the file, or
 * undefined when no volume holds it.
 */
function fileSource(
  pod: PodSpec,
  container: Container,
  file: string,
): { volume: string; kind: 'Secret' | 'ConfigMap'; name: string; key: string } | undefined {
  const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
  const volume = pod.volumes?.find((v) => v.name === mount?.name);
  if (mount === undefined || volume === undefined || mount.readOnly !== true) {
    return undefined;
  }
  const path = file.slice(mount.mountPath.length + 1);
  const sources = [
    ...(volume.secret
      ? [{ kind: 'Secret' as const, name: volume.secret.secretName, items: volume.secret.items }]
      : []),
    ...(volume.configMap
      ? [{ kind: 'ConfigMap' as const, name: volume.configMap.name, items: volume.configMap.items }]
      : []),
    ...(volume.projected?.sources ?? []).flatMap((s) =>
      s.secret ? [{ kind: 'Secret' as const, name: s.secret.name, items: s.secret.items }] : [],
    ),
  ];
  for (const source of sources) {
    const item = source.items?.find((i) => i.path === path);
    if (item !== undefined) {
      return { volume: volume.name, kind: source.kind, name: source.name, key: item.key };
    }
  }
  return undefined;
}

/** How a container gets a secret variable: from a Secret as NAME, or as a file named by NAME_FILE. */
function secretOf(
  pod: PodSpec,
  container: Container,
  env: Map<string, EnvVar>,
  name: string,
): { as: 'env' | 'file'; secret: string; key: string } | undefined {
  const plain = env.get(name)?.valueFrom?.secretKeyRef;
  const file = env.get(`${name}_FILE`)?.value;
  if (plain !== undefined && file !== undefined) {
    throw new Error(`${container.name} gets both ${name} and ${name}_FILE`);
  }
  if (plain !== undefined) {
    return { as: 'env', secret: plain.name, key: plain.key };
  }
  if (file === undefined) {
    return undefined;
  }
  const source = fileSource(pod, container, file);
  return source?.kind === 'Secret'
    ? { as: 'file', secret: source.name, key: source.key }
    : undefined;
}

/** README.md's configuration tables: the variables of each service (and the shared ones). */
function documentedVariables(): Map<string, Set<string>> {
  const sections = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n')) {
    const heading =
      /^(Shared by every service|sentinel-ingest|behavioral-monitor|fusion|response-engine|policy-generator):$/.exec(
        line,
      );
    if (heading) {
      current = new Set();
      sections.set(heading[1] === 'Shared by every service' ? 'shared' : heading[1]!, current);
      continue;
    }
    const row = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (row && current) {
      current.add(row[1]!);
    }
  }
  return sections;
}

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
}

/** A value the schema accepts, for every setting: renders the chart with all of them set. */
function sampleOf(node: SchemaNode, key: string): unknown {
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  if (node.enum) {
    return node.enum[node.enum.length - 1];
  }
  if (type === 'integer' || type === 'number') {
    return node.maximum ?? node.minimum ?? 1;
  }
  if (type === 'boolean') {
    return true;
  }
  if (type === 'array') {
    return [
      key === 'outboundAllowHosts' || key === 'allowHosts' ? 'hooks.example.com' : 'sample-item',
    ];
  }
  if (type === 'object') {
    return node.properties
      ? Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, sampleOf(v, k)]))
      : { acme: 0.9 };
  }
  return key.toLowerCase().includes('tenant') ? 'acme' : 'ward-sample';
}

describe('Helm chart helm/ward', () => {
  let defaults: Render;
  let production: Render;

  beforeAll(() => {
    // The first build of the validator compiles k8s.io/api (a minute or two on
    // two cores unless Helm's build warmed Go's cache); later runs reuse it.
    k8sValidateBinary();
    defaults = render();
    production = render(['-f', PRODUCTION]);
  }, 15 * 60_000);

  describe('helm lint --strict', () => {
    it.each([
      ['the default values', []],
      ['the production values', ['-f', PRODUCTION]],
    ])('passes with %s', (_what, args) => {
      const result = runHelm([
        'lint',
        '--strict',
        CHART,
        '--kube-version',
        validatedKubeVersion(),
        ...args,
      ]);
      expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({
        status: 0,
        output: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') as string,
      });
    });
  });

  describe('offline validation against the upstream API types', () => {
    it.each([
      ['default', () => defaults],
      ['production', () => production],
    ])('accepts every object of the %s render', (_what, get) => {
      const rendered = get();
      const report = validateManifests(rendered.yaml);
      expect(report.errors).toEqual([]);
      expect(report.status).toBe(0);
      expect(report.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(
        rendered.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      );
      expect(report.objects.every((o) => o.namespace === NAMESPACE)).toBe(true);
    });

    it('rejects unknown fields, wrong types, unknown kinds and dangling references', () => {
      const deployment = named(defaults, 'Deployment', 'ward-fusion');
      const service = named(defaults, 'Service', 'ward-fusion');
      const broken = (mutate: (d: K8sObject) => void, ...rest: K8sObject[]): string => {
        const copy = structuredClone(deployment);
        mutate(copy);
        return [copy, ...rest].map((o) => stringify(o)).join('---\n');
      };
      const cases: [string, string, RegExp][] = [
        [
          'an unknown field',
          broken((d) => Object.assign(podOf(d).containers[0]!, { imagePullPolicyy: 'Always' })),
          /unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/,
        ],
        [
          'a field in the wrong case',
          broken((d) => Object.assign(d.spec!, { Replicas: 2 })),
          /unknown field "spec\.Replicas"/,
        ],
        [
          'a wrong type',
          broken((d) => Object.assign(d.spec!, { replicas: 'two' })),
          /cannot unmarshal string into Go struct field .*replicas of type int32/,
        ],
        [
          'a malformed quantity',
          broken((d) => {
            podOf(d).containers[0]!.resources = { limits: { memory: 'lots' } };
          }),
          /quantities must match the regular expression/,
        ],
        [
          'a probe on a port the container does not have',
          broken((d) => {
            podOf(d).containers[0]!.readinessProbe = {
              httpGet: { path: '/readyz', port: 'admin' },
            };
          }),
          /readinessProbe: port "admin" is not a named port of the container/,
        ],
        [
          'a mount of a volume the pod lacks',
          broken((d) => {
            podOf(d).volumes = [];
          }),
          /volumeMounts\[0\] names volume "tmp", which the pod does not define/,
        ],
        [
          'a container without an image',
          broken((d) => {
            podOf(d).containers[0]!.image = '';
          }),
          /image is required/,
        ],
        [
          'a selector that does not match the pod labels',
          broken((d) => {
            (d.spec!.selector as { matchLabels: Record<string, string> }).matchLabels[
              'app.kubernetes.io/component'
            ] = 'nothing';
          }),
          /spec\.selector does not match the pod template's labels/,
        ],
        [
          'a Service that selects no pod',
          stringify({ ...service, spec: { ...service.spec, selector: { app: 'nothing' } } }),
          /Service\/ward-fusion: spec\.selector matches no pod template/,
        ],
        [
          'an Ingress to a port the Service lacks',
          [
            named(production, 'Service', 'ward-sentinel-ingest'),
            named(production, 'Deployment', 'ward-sentinel-ingest'),
            JSON.parse(
              JSON.stringify(named(production, 'Ingress', 'ward-sentinel-ingest')).replace(
                '"name":"http"',
                '"name":"admin"',
              ),
            ) as K8sObject,
          ]
            .map((o) => stringify(o))
            .join('---\n'),
          /backend\.service: Service ward-sentinel-ingest has no port admin/,
        ],
        [
          'an unknown kind',
          stringify({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } }),
          /unknown kind Deploymnet in apps\/v1/,
        ],
        [
          'a duplicate key',
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\ndata: {a: "1"}\ndata: {b: "2"}\n',
          /key "data" already set in map/,
        ],
        [
          'an invalid name',
          stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'Not_Valid', namespace: NAMESPACE },
          }),
          /metadata\.name: Invalid value: "Not_Valid"/,
        ],
      ];
      for (const [what, yaml, error] of cases) {
        const report = validateManifests(yaml);
        expect({ what, status: report.status, errors: report.errors.join('\n') }).toEqual({
          what,
          status: 1,
          errors: expect.stringMatching(error) as string,
        });
      }
    });
  });

  describe('the rendered workloads', () => {
    it.each([
      ['default', () => defaults],
      ['production', () => production],
    ])('run every service hardened, probed and with resources (%s values)', (_what, get) => {
      const rendered = get();
      const deployments = ofKind(rendered, 'Deployment');
      expect(deployments.map(componentOf).sort()).toEqual(Object.keys(SERVICES).sort());
      for (const deployment of deployments) {
        const component = componentOf(deployment) as keyof typeof SERVICES;
        const pod = podOf(deployment);
        const [container, ...others] = pod.containers;
        expect(others).toEqual([]);
        const env = environmentOf(rendered, container!);
        expect({
          component,
          image: container!.image,
          command: container!.command,
          port: container!.ports,
          host: env.get('HOST')?.value,
          portEnv: env.get('PORT')?.value,
          startup: container!.startupProbe?.httpGet,
          liveness: container!.livenessProbe?.httpGet,
          readiness: container!.readinessProbe?.httpGet,
          requests: Object.keys(container!.resources?.requests ?? {}).sort(),
          memoryLimit: typeof container!.resources?.limits?.memory,
          pod: pod.securityContext,
          container: container!.securityContext,
          tmp: container!.volumeMounts?.find((m) => m.mountPath === '/tmp')?.name,
          tmpVolume: pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir,
          automount: pod.automountServiceAccountToken,
          serviceAccount: pod.serviceAccountName,
        }).toEqual({
          component,
          image: `ghcr.io/ward/${component}:0.1.0`,
          command: ['node', 'scripts/run-ts.mjs', `apps/${component}/src/main.ts`],
          port: [{ name: 'http', containerPort: SERVICES[component], protocol: 'TCP' }],
          host: '0.0.0.0',
          portEnv: String(SERVICES[component]),
          startup: { path: '/healthz', port: 'http' },
          liveness: { path: '/healthz', port: 'http' },
          readiness: { path: '/readyz', port: 'http' },
          requests: ['cpu', 'memory'],
          memoryLimit: 'string',
          pod: expect.objectContaining({
            runAsNonRoot: true,
            seccompProfile: { type: 'RuntimeDefault' },
          }) as object,
          container: expect.objectContaining({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }) as object,
          tmp: 'tmp',
          tmpVolume: expect.objectContaining({ sizeLimit: expect.any(String) as string }) as object,
          automount: false,
          serviceAccount: deployment.metadata.name,
        });
        expect(named(rendered, 'ServiceAccount', deployment.metadata.name)).toBeDefined();
        const service = named(rendered, 'Service', deployment.metadata.name);
        expect(service.spec?.ports).toEqual([
          { name: 'http', port: SERVICES[component], targetPort: 'http', protocol: 'TCP' },
        ]);
      }
    });

    it.each([
      ['default', () => defaults],
      ['production', () => production],
    ])('hold secrets only by reference (%s values)', (_what, get) => {
      const rendered = get();
      expect(ofKind(rendered, 'Secret')).toEqual([]);
      // No URL with a password anywhere (the services' built-in defaults have one).
      expect(rendered.yaml).not.toMatch(/[a-z]+:\/\/[^\s/:@]+:[^\s/@]+@/);
      for (const configMap of ofKind(rendered, 'ConfigMap')) {
        const secretKeys = Object.keys(configMap.data ?? {}).filter((k) => SECRET_ENV.test(k));
        expect({ configMap: configMap.metadata.name, secretKeys }).toEqual({
          configMap: configMap.metadata.name,
          secretKeys: [],
        });
      }
      const workloads = [...ofKind(rendered, 'Deployment'), ...ofKind(rendered, 'Job')];
      for (const workload of workloads) {
        const pod = podOf(workload);
        for (const container of pod.containers) {
          const env = environmentOf(rendered, container);
          for (const entry of (container.env ?? []).filter((e) => SECRET_ENV.test(e.name))) {
            expect({ workload: workload.metadata.name, entry }).toEqual({
              workload: workload.metadata.name,
              entry: {
                name: entry.name,
                valueFrom: { secretKeyRef: { name: expect.any(String), key: expect.any(String) } },
              },
            });
          }
          // A secret as a file: NAME_FILE names a file of a mounted Secret, and NAME is not set too.
          for (const [name] of [...env].filter(
            ([k]) => k.endsWith('_FILE') && SECRET_ENV.test(k.slice(0, -5)),
          )) {
            const base = name.slice(0, -5);
            expect({
              workload: workload.metadata.name,
              name,
              secret: secretOf(pod, container, env, base)?.as,
            }).toEqual({ workload: workload.metadata.name, name, secret: 'file' });
          }
        }
      }
      const fusion = podOf(named(rendered, 'Deployment', 'ward-fusion'));
      const databaseUrl = secretOf(
        fusion,
        fusion.containers[0]!,
        environmentOf(rendered, fusion.containers[0]!),
        'DATABASE_URL',
      );
      expect(databaseUrl?.secret).toMatch(/^ward-(database|postgres)$/);
    });

    it('sets only variables the services declare, for every setting the schema allows', () => {
      const schema = JSON.parse(
        readFileSync(join(ROOT, CHART, 'values.schema.json'), 'utf8'),
      ) as SchemaNode;
      const valuesOf = (key: string) => schema.properties![key]!.properties!;
      const allSettings = {
        sentinelIngest: { config: sampleOf(valuesOf('sentinelIngest').config!, 'config') },
        behavioralMonitor: {
          config: sampleOf(valuesOf('behavioralMonitor').config!, 'config'),
          detectors: sampleOf(valuesOf('behavioralMonitor').detectors!, 'detectors'),
        },
        fusion: {
          config: sampleOf(valuesOf('fusion').config!, 'config'),
          intel: {
            feeds: { 'local.csv': 'indicator\n203.0.113.7\n' },
            urls: ['https://intel.example.com/feed.json'],
            settings: sampleOf(valuesOf('fusion').intel!.properties!.settings!, 'settings'),
          },
        },
        responseEngine: { config: sampleOf(valuesOf('responseEngine').config!, 'config') },
        policyGenerator: { config: sampleOf(valuesOf('policyGenerator').config!, 'config') },
      };
      const tokens = { existingSecret: 'ward-tokens', key: 'admin' };
      const dir = mkdtempSync(join(tmpdir(), 'ward-helm-'));
      const values = join(dir, 'all-settings.yaml');
      writeFileSync(
        values,
        stringify({
          ...allSettings,
          kafka: {
            brokers: ['kafka:9093'],
            topicPrefix: 'p.',
            tls: { enabled: true, caSecret: { name: 'ca', key: 'ca.crt' } },
            sasl: { enabled: true, mechanism: 'scram-sha-256', existingSecret: 'kafka-user' },
          },
          redis: { keyPrefix: 'w:' },
          sentinelIngest: { ...allSettings.sentinelIngest, adminToken: tokens },
          behavioralMonitor: { ...allSettings.behavioralMonitor, adminToken: tokens },
          fusion: { ...allSettings.fusion, adminToken: tokens },
          responseEngine: { ...allSettings.responseEngine, adminToken: tokens },
          policyGenerator: {
            ...allSettings.policyGenerator,
            adminToken: tokens,
            bundleToken: { existingSecret: 'ward-tokens', key: 'bundle' },
          },
        }),
      );
      const rendered = render(['-f', values]);
      rmSync(dir, { recursive: true, force: true });
      expect(validateManifests(rendered.yaml).errors).toEqual([]);
      const documented = documentedVariables();
      const keys = (o: unknown) => Object.keys(o as object);
      const settings: Record<string, string[]> = {
        'sentinel-ingest': keys(allSettings.sentinelIngest.config),
        'behavioral-monitor': [
          ...keys(allSettings.behavioralMonitor.config),
          ...keys(allSettings.behavioralMonitor.detectors),
        ],
        fusion: [...keys(allSettings.fusion.config), ...keys(allSettings.fusion.intel.settings)],
        'response-engine': keys(allSettings.responseEngine.config),
        'policy-generator': keys(allSettings.policyGenerator.config),
      };
      const setByChart = new Set([
        'HOME',
        'HOST',
        'PORT',
        'REDIS_KEY_PREFIX',
        'FUSION_INTEL_FEEDS',
        'RESPONSE_PLAYBOOK_DIRS',
      ]);
      for (const deployment of ofKind(rendered, 'Deployment')) {
        const component = componentOf(deployment)!;
        const shared = documented.get('shared') ?? new Set<string>();
        const own = documented.get(component) ?? new Set<string>();
        const env = environmentOf(rendered, podOf(deployment).containers[0]!);
        const undeclared = [...env.keys()].filter(
          (k) => !shared.has(k) && !own.has(k) && k !== 'HOME',
        );
        // Each setting became its own variable: none dropped, none merged into another.
        const fromSettings = [...env.entries()].filter(
          ([k, e]) => own.has(k) && !setByChart.has(k) && e.valueFrom === undefined,
        );
        expect({ component, undeclared, settings: fromSettings.length }).toEqual({
          component,
          undeclared: [],
          settings: settings[component]!.length,
        });
      }
      const monitor = environmentOf(
        rendered,
        podOf(named(rendered, 'Deployment', 'ward-behavioral-monitor')).containers[0]!,
      );
      expect(monitor.get('MONITOR_WEIGHTS')?.value).toMatch(/^([a-z_]+=[0-9.]+,)+[a-z_]+=[0-9.]+$/);
      expect(monitor.get('MONITOR_WINDOW_SECONDS')?.value).toBe('86400');
      const ingest = environmentOf(
        rendered,
        podOf(named(rendered, 'Deployment', 'ward-sentinel-ingest')).containers[0]!,
      );
      // Whole numbers as the services parse them, not as Go prints float64 (5.36870912e+08).
      expect(ingest.get('INGEST_MAX_BODY_BYTES')?.value).toBe(String(512 * 1024 * 1024));
    });

    it('refuses values the schema does not know, with the offending key', () => {
      const cases: [string, RegExp][] = [
        ['sentinelIngest.config.maxBodyBytez=5', /additional properties 'maxBodyBytez'/],
        ['behavioralMonitor.detectors.weights.latency=0.5', /additional properties 'latency'/],
        ['kafka.sasl.mechanism=gssapi', /\/kafka\/sasl\/mechanism/],
        ['fusion.replicaCount=two', /\/fusion\/replicaCount.*want integer/],
        ['policyGenerator.config.minConfidence=2', /\/policyGenerator\/config\/minConfidence/],
      ];
      for (const [set, error] of cases) {
        const result = runHelm(['template', 'ward', CHART, '--set', set]);
        expect({ set, status: result.status, stderr: result.stderr }).toEqual({
          set,
          status: 1,
          stderr: expect.stringMatching(error) as string,
        });
      }
    });
  });

  describe('security settings', () => {
    const OIDC = {
      issuer: 'https://idp.example.com/realms/ward',
      audience: 'ward',
      jwksUrl: 'https://idp.example.com/realms/ward/certs',
      tenantClaim: 'org',
      rolesClaim: 'groups',
    };
    const security = (secretFiles: boolean) => ({
      kafka: {
        brokers: ['kafka:9093'],
        tls: {
          enabled: true,
          caSecret: { name: 'kafka-ca', key: 'ca.crt' },
          clientCertSecret: { name: 'ward-kafka-client', certKey: 'user.crt', keyKey: 'user.key' },
        },
        sasl: { enabled: true, mechanism: 'scram-sha-512', existingSecret: 'kafka-user' },
      },
      database: { existingSecret: 'ward-postgres', key: 'url' },
      redis: {
        existingSecret: 'ward-redis',
        key: 'url',
        tls: { caSecret: { name: 'ward-redis-ca', key: 'ca.pem' } },
      },
      auth: { oidc: OIDC },
      secretFiles: { enabled: secretFiles, mountPath: '/run/ward-secrets' },
      metrics: {
        token: { existingSecret: 'ward-metrics', key: 'scrape' },
        serviceMonitor: { enabled: true },
      },
      sentinelIngest: { adminToken: { existingSecret: 'ward-tokens', key: 'sentinelIngest' } },
      behavioralMonitor: {
        adminToken: { existingSecret: 'ward-tokens', key: 'behavioralMonitor' },
      },
      fusion: {
        adminToken: { existingSecret: 'ward-tokens', key: 'fusion' },
        intel: {
          urls: ['https://intel.example.com/feed.json'],
          settings: { allowHosts: ['intel.example.com', '*.cdn.example.com'], allowPrivate: true },
        },
      },
      responseEngine: { adminToken: { existingSecret: 'ward-tokens', key: 'responseEngine' } },
      policyGenerator: {
        adminToken: { existingSecret: 'ward-tokens', key: 'policyGenerator' },
        bundleToken: { existingSecret: 'ward-tokens', key: 'bundle' },
      },
    });
    const withValues = (values: object, args: readonly string[] = []): Render => {
      const dir = mkdtempSync(join(tmpdir(), 'ward-helm-'));
      try {
        const file = join(dir, 'values.yaml');
        writeFileSync(file, stringify(values));
        return render(['-f', file, ...args]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const failure = (values: object): string => {
      const dir = mkdtempSync(join(tmpdir(), 'ward-helm-'));
      try {
        const file = join(dir, 'values.yaml');
        writeFileSync(file, stringify(values));
        const result = runHelm([
          'template',
          'ward',
          CHART,
          '--kube-version',
          validatedKubeVersion(),
          '-f',
          file,
        ]);
        return result.status === 0 ? '(rendered)' : result.stderr;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    /** The secrets each service reads, by variable: database, tokens, metrics token, SASL password (and Redis). */
    const expectedSecrets = (component: keyof typeof SERVICES) => ({
      DATABASE_URL: { secret: 'ward-postgres', key: 'url' },
      ...(['sentinel-ingest', 'behavioral-monitor', 'response-engine'].includes(component) && {
        REDIS_URL: { secret: 'ward-redis', key: 'url' },
      }),
      METRICS_TOKEN: { secret: 'ward-metrics', key: 'scrape' },
      KAFKA_SASL_PASSWORD: { secret: 'kafka-user', key: 'password' },
      ...Object.fromEntries(
        Object.entries(SPECS[component])
          .filter(([name]) => /_(ADMIN|BUNDLE)_TOKEN$/.test(name))
          .map(([name]) => [
            name,
            {
              secret: 'ward-tokens',
              key: name === 'POLICY_BUNDLE_TOKEN' ? 'bundle' : SERVICE_VALUES[component],
            },
          ]),
      ),
    });
    const SERVICE_VALUES: Record<keyof typeof SERVICES, string> = {
      'sentinel-ingest': 'sentinelIngest',
      'behavioral-monitor': 'behavioralMonitor',
      fusion: 'fusion',
      'response-engine': 'responseEngine',
      'policy-generator': 'policyGenerator',
    };
    let asEnv: Render;
    let asFiles: Render;

    beforeAll(() => {
      asEnv = withValues(security(false));
      asFiles = withValues(security(true));
    }, 5 * 60_000);

    it.each([
      ['as variables', () => asEnv],
      ['as files', () => asFiles],
    ])(
      'render valid objects and set only variables the services read (secrets %s)',
      (_what, get) => {
        const rendered = get();
        expect(validateManifests(rendered.yaml).errors).toEqual([]);
        for (const deployment of ofKind(rendered, 'Deployment')) {
          const component = componentOf(deployment) as keyof typeof SERVICES;
          const spec = SPECS[component];
          const env = environmentOf(rendered, podOf(deployment).containers[0]!);
          const unknown = [...env.keys()].filter(
            (name) =>
              name !== 'HOME' &&
              !(name in spec) &&
              !(name.endsWith('_FILE') && spec[name.slice(0, -5)]?.secret === true),
          );
          expect({ component, unknown }).toEqual({ component, unknown: [] });
        }
      },
    );

    it('give every service the OIDC settings', () => {
      for (const deployment of ofKind(asEnv, 'Deployment')) {
        const env = environmentOf(asEnv, podOf(deployment).containers[0]!);
        expect({
          deployment: deployment.metadata.name,
          oidc: [
            'AUTH_OIDC_ISSUER',
            'AUTH_OIDC_AUDIENCE',
            'AUTH_OIDC_JWKS_URL',
            'AUTH_OIDC_TENANT_CLAIM',
            'AUTH_OIDC_ROLES_CLAIM',
          ].map((name) => env.get(name)?.value),
        }).toEqual({ deployment: deployment.metadata.name, oidc: Object.values(OIDC) });
      }
      const plain = environmentOf(
        defaults,
        podOf(named(defaults, 'Deployment', 'ward-fusion')).containers[0]!,
      );
      expect([...plain.keys()].filter((k) => k.startsWith('AUTH_'))).toEqual([]);
    });

    it.each([
      ['as variables', 'env', () => asEnv],
      ['as files', 'file', () => asFiles],
    ])(
      'give METRICS_TOKEN to the pods and, from the same Secret, to the ServiceMonitor (secrets %s)',
      (_what, as, get) => {
        const rendered = get();
        for (const deployment of ofKind(rendered, 'Deployment')) {
          const pod = podOf(deployment);
          const env = environmentOf(rendered, pod.containers[0]!);
          expect({
            deployment: deployment.metadata.name,
            token: secretOf(pod, pod.containers[0]!, env, 'METRICS_TOKEN'),
          }).toEqual({
            deployment: deployment.metadata.name,
            token: { as, secret: 'ward-metrics', key: 'scrape' },
          });
        }
        const [monitor] = ofKind(rendered, 'ServiceMonitor');
        expect(monitor!.spec!.endpoints).toEqual([
          expect.objectContaining({
            port: 'http',
            path: '/metrics',
            authorization: { type: 'Bearer', credentials: { name: 'ward-metrics', key: 'scrape' } },
          }),
        ]);
        const open = ofKind(production, 'ServiceMonitor')[0]!;
        expect(open.spec!.endpoints).toEqual([
          expect.objectContaining({
            authorization: { type: 'Bearer', credentials: { name: 'ward-metrics', key: 'token' } },
          }),
        ]);
      },
    );

    it('mount every secret as a read-only file named by <NAME>_FILE, with no plain variable beside it', () => {
      for (const deployment of ofKind(asFiles, 'Deployment')) {
        const component = componentOf(deployment) as keyof typeof SERVICES;
        const pod = podOf(deployment);
        const container = pod.containers[0]!;
        const env = environmentOf(asFiles, container);
        const expected = expectedSecrets(component);
        const got = Object.fromEntries(
          Object.keys(expected).map((name) => [name, secretOf(pod, container, env, name)]),
        );
        expect({ component, got }).toEqual({
          component,
          got: Object.fromEntries(
            Object.entries(expected).map(([name, ref]) => [name, { as: 'file', ...ref }]),
          ),
        });
        const plain = (container.env ?? [])
          .filter((e) => e.valueFrom?.secretKeyRef !== undefined)
          .map((e) => e.name);
        // The SASL user name is no secret the services read from a file.
        expect({ component, plain }).toEqual({ component, plain: ['KAFKA_SASL_USERNAME'] });
        for (const name of Object.keys(expected)) {
          expect(env.get(`${name}_FILE`)?.value).toBe(
            `/run/ward-secrets/${name.toLowerCase().replace(/_/g, '-')}`,
          );
        }
        const volume = pod.volumes!.find((v) => v.name === 'secret-files')!;
        expect(volume.projected?.defaultMode).toBe(0o440);
      }
      // The same values without secretFiles: every one of them a variable from its Secret.
      for (const deployment of ofKind(asEnv, 'Deployment')) {
        const component = componentOf(deployment) as keyof typeof SERVICES;
        const pod = podOf(deployment);
        const env = environmentOf(asEnv, pod.containers[0]!);
        for (const [name, ref] of Object.entries(expectedSecrets(component))) {
          expect({ component, name, got: secretOf(pod, pod.containers[0]!, env, name) }).toEqual({
            component,
            name,
            got: { as: 'env', ...ref },
          });
        }
        expect(pod.volumes?.some((v) => v.name === 'secret-files')).toBe(false);
      }
      // The hooks read their secrets from the files too: the SASL password, DATABASE_URL.
      const topics = podOf(named(asFiles, 'Job', 'ward-topics'));
      const topicsEnv = environmentOf(asFiles, topics.containers[0]!);
      expect(secretOf(topics, topics.containers[0]!, topicsEnv, 'KAFKA_SASL_PASSWORD')).toEqual({
        as: 'file',
        secret: 'kafka-user',
        key: 'password',
      });
      const migrations = podOf(named(asFiles, 'Job', 'ward-migrations'));
      const migrationsEnv = environmentOf(asFiles, migrations.containers[0]!);
      expect(
        secretOf(migrations, migrations.containers[0]!, migrationsEnv, 'DATABASE_URL'),
      ).toEqual({ as: 'file', secret: 'ward-postgres', key: 'url' });
      expect(migrationsEnv.has('DATABASE_URL')).toBe(false);
    });

    it('point REDIS_TLS_CA_FILE at the mounted CA of the services that use Redis, from a Secret or a ConfigMap', () => {
      const check = (rendered: Render, kind: 'Secret' | 'ConfigMap', name: string) => {
        for (const deployment of ofKind(rendered, 'Deployment')) {
          const component = componentOf(deployment) as keyof typeof SERVICES;
          const pod = podOf(deployment);
          const container = pod.containers[0]!;
          const file = environmentOf(rendered, container).get('REDIS_TLS_CA_FILE')?.value;
          const usesRedis = 'REDIS_TLS_CA_FILE' in SPECS[component];
          expect({
            component,
            source: file === undefined ? undefined : fileSource(pod, container, file),
          }).toEqual({
            component,
            source: usesRedis ? { volume: 'redis-ca', kind, name, key: 'ca.pem' } : undefined,
          });
        }
      };
      check(asEnv, 'Secret', 'ward-redis-ca');
      const fromConfigMap = withValues({
        redis: { tls: { caConfigMap: { name: 'redis-ca-bundle', key: 'ca.pem' } } },
      });
      check(fromConfigMap, 'ConfigMap', 'redis-ca-bundle');
      // The ConfigMap is the operator's own, so it is not in the stream.
      expect(validateManifests(fromConfigMap.yaml, ['--check-refs=false']).errors).toEqual([]);
    });

    it('mount the Kafka client certificate and key where KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE point, for every Kafka client', () => {
      for (const client of [...ofKind(asEnv, 'Deployment'), named(asEnv, 'Job', 'ward-topics')]) {
        const pod = podOf(client);
        const container = pod.containers[0]!;
        const env = environmentOf(asEnv, container);
        const source = (name: string) => fileSource(pod, container, env.get(name)?.value ?? '');
        expect({
          client: client.metadata.name,
          ssl: env.get('KAFKA_SSL')?.value,
          ca: source('KAFKA_SSL_CA_FILE'),
          cert: source('KAFKA_SSL_CERT_FILE'),
          key: source('KAFKA_SSL_KEY_FILE'),
          keyMode: pod.volumes?.find((v) => v.name === 'kafka-client-cert')?.secret?.defaultMode,
        }).toEqual({
          client: client.metadata.name,
          ssl: 'true',
          ca: { volume: 'kafka-ca', kind: 'Secret', name: 'kafka-ca', key: 'ca.crt' },
          cert: {
            volume: 'kafka-client-cert',
            kind: 'Secret',
            name: 'ward-kafka-client',
            key: 'user.crt',
          },
          key: {
            volume: 'kafka-client-cert',
            kind: 'Secret',
            name: 'ward-kafka-client',
            key: 'user.key',
          },
          keyMode: 0o440,
        });
      }
      for (const rendered of [defaults, production]) {
        const env = environmentOf(
          rendered,
          podOf(named(rendered, 'Deployment', 'ward-fusion')).containers[0]!,
        );
        expect([env.get('KAFKA_SSL_CERT_FILE'), env.get('KAFKA_SSL_KEY_FILE')]).toEqual([
          undefined,
          undefined,
        ]);
      }
    });

    it('give a service or the topics hook its own Kafka client certificate (its own principal), the others the shared one', () => {
      const base = security(false);
      const own = withValues({
        ...base,
        sentinelIngest: {
          ...base.sentinelIngest,
          kafka: {
            clientCertSecret: { name: 'ward-kafka-ingest', certKey: 'tls.crt', keyKey: 'tls.key' },
          },
        },
        // Only the name: the keys are the shared Secret's.
        fusion: { ...base.fusion, kafka: { clientCertSecret: { name: 'ward-kafka-fusion' } } },
        hooks: {
          migrations: { enabled: true },
          topics: { enabled: true, kafka: { clientCertSecret: { name: 'ward-kafka-admin' } } },
        },
      });
      expect(validateManifests(own.yaml).errors).toEqual([]);
      const certOf = (rendered: Render, client: K8sObject) => {
        const pod = podOf(client);
        const container = pod.containers[0]!;
        const env = environmentOf(rendered, container);
        const source = (name: string) => {
          const file = env.get(name)?.value;
          const from = file === undefined ? undefined : fileSource(pod, container, file);
          return from === undefined ? undefined : `${from.name}/${from.key}`;
        };
        return {
          client: client.metadata.name,
          cert: source('KAFKA_SSL_CERT_FILE'),
          key: source('KAFKA_SSL_KEY_FILE'),
        };
      };
      const clients = (rendered: Render) => [
        ...ofKind(rendered, 'Deployment'),
        named(rendered, 'Job', 'ward-topics'),
      ];
      expect(clients(own).map((c) => certOf(own, c))).toEqual(
        expect.arrayContaining([
          {
            client: 'ward-sentinel-ingest',
            cert: 'ward-kafka-ingest/tls.crt',
            key: 'ward-kafka-ingest/tls.key',
          },
          {
            client: 'ward-fusion',
            cert: 'ward-kafka-fusion/user.crt',
            key: 'ward-kafka-fusion/user.key',
          },
          ...['behavioral-monitor', 'response-engine', 'policy-generator'].map((name) => ({
            client: `ward-${name}`,
            cert: 'ward-kafka-client/user.crt',
            key: 'ward-kafka-client/user.key',
          })),
          {
            client: 'ward-topics',
            cert: 'ward-kafka-admin/user.crt',
            key: 'ward-kafka-admin/user.key',
          },
        ]),
      );
      expect(clients(own)).toHaveLength(6);
      // Without a shared certificate, only the clients given one present a certificate.
      const only = withValues({
        ...base,
        kafka: { ...base.kafka, tls: { ...base.kafka.tls, clientCertSecret: { name: '' } } },
        responseEngine: {
          ...base.responseEngine,
          kafka: { clientCertSecret: { name: 'ward-kafka-response' } },
        },
      });
      expect(clients(only).map((c) => certOf(only, c))).toEqual(
        clients(only).map((c) =>
          c.metadata.name === 'ward-response-engine'
            ? {
                client: c.metadata.name,
                cert: 'ward-kafka-response/tls.crt',
                key: 'ward-kafka-response/tls.key',
              }
            : { client: c.metadata.name, cert: undefined, key: undefined },
        ),
      );
      expect(only.objects.some((o) => o.kind === 'Deployment')).toBe(true);
      // NOTES.txt, which names each of these Secrets, renders (helm lint renders it; template does not).
      const lint = runHelm([
        'lint',
        '--strict',
        CHART,
        '--kube-version',
        validatedKubeVersion(),
        '--set',
        'kafka.tls.enabled=true',
        '--set',
        'fusion.kafka.clientCertSecret.name=ward-kafka-fusion',
        '--set',
        'hooks.topics.kafka.clientCertSecret.name=ward-kafka-admin',
      ]);
      expect({ status: lint.status, stderr: lint.stderr }).toEqual({ status: 0, stderr: '' });
    });

    it("give fusion the threat-intel feeds' allow-list", () => {
      const env = environmentOf(
        asEnv,
        podOf(named(asEnv, 'Deployment', 'ward-fusion')).containers[0]!,
      );
      expect({
        feeds: env.get('FUSION_INTEL_FEEDS')?.value,
        hosts: env.get('FUSION_INTEL_ALLOW_HOSTS')?.value,
        private: env.get('FUSION_INTEL_ALLOW_PRIVATE')?.value,
      }).toEqual({
        feeds: 'https://intel.example.com/feed.json',
        hosts: 'intel.example.com,*.cdn.example.com',
        private: 'true',
      });
      for (const deployment of ofKind(asEnv, 'Deployment').filter(
        (d) => componentOf(d) !== 'fusion',
      )) {
        const others = environmentOf(asEnv, podOf(deployment).containers[0]!);
        expect([...others.keys()].filter((k) => k.startsWith('FUSION_'))).toEqual([]);
      }
    });

    it('refuse combinations the services would refuse, naming the values', () => {
      const cases: [object, RegExp][] = [
        [
          { auth: { oidc: { issuer: 'https://idp.example.com/' } } },
          /auth\.oidc: set issuer, audience and jwksUrl together/,
        ],
        [
          { auth: { oidc: { ...OIDC, jwksUrl: 'idp.example.com/certs' } } },
          /\/auth\/oidc\/jwksUrl/,
        ],
        [
          { kafka: { tls: { enabled: false, clientCertSecret: { name: 'ward-kafka-client' } } } },
          /kafka\.tls\.clientCertSecret is a TLS client certificate: enable kafka\.tls too/,
        ],
        [
          { fusion: { kafka: { clientCertSecret: { name: 'ward-kafka-fusion' } } } },
          /fusion\.kafka\.clientCertSecret is a TLS client certificate: enable kafka\.tls too/,
        ],
        [
          {
            hooks: {
              migrations: { enabled: true },
              topics: { enabled: true, kafka: { clientCertSecret: { name: 'ward-kafka-admin' } } },
            },
          },
          /hooks\.topics\.kafka\.clientCertSecret is a TLS client certificate: enable kafka\.tls too/,
        ],
        [
          {
            kafka: { tls: { enabled: true } },
            sentinelIngest: { kafka: { clientCertSecret: { name: 'x', key: 'tls.key' } } },
          },
          /\/sentinelIngest\/kafka\/clientCertSecret.*additional properties 'key' not allowed/,
        ],
        [
          { kafka: { tls: { enabled: true } }, policyGenerator: { kafka: { tls: {} } } },
          /\/policyGenerator\/kafka.*additional properties 'tls' not allowed/,
        ],
        [
          { redis: { tls: { caSecret: { name: 'a' }, caConfigMap: { name: 'b' } } } },
          /redis\.tls: set caSecret or caConfigMap, not both/,
        ],
        [{ secretFiles: { enabled: true, mountPath: 'relative' } }, /\/secretFiles\/mountPath/],
        [{ fusion: { intel: { settings: { allowHosts: ['http://x'] } } } }, /allowHosts/],
      ];
      for (const [values, error] of cases) {
        expect({ values, stderr: failure(values) }).toEqual({
          values,
          stderr: expect.stringMatching(error) as string,
        });
      }
    });
  });

  describe('hooks', () => {
    it('migrate and create topics before install and upgrade, with their own ServiceAccount', () => {
      for (const rendered of [defaults, production]) {
        const jobs = ofKind(rendered, 'Job');
        expect(jobs.map((j) => j.metadata.name)).toEqual(['ward-migrations', 'ward-topics']);
        const account = named(rendered, 'ServiceAccount', 'ward-hooks').metadata.annotations!;
        expect(account['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        for (const job of jobs) {
          const annotations = job.metadata.annotations!;
          const pod = podOf(job);
          const container = pod.containers[0]!;
          expect({
            hook: annotations['helm.sh/hook'],
            delete: annotations['helm.sh/hook-delete-policy'],
            afterAccount:
              Number(annotations['helm.sh/hook-weight']) > Number(account['helm.sh/hook-weight']),
            restartPolicy: pod.restartPolicy,
            serviceAccount: pod.serviceAccountName,
            readOnly: container.securityContext?.readOnlyRootFilesystem,
            nonRoot: container.securityContext?.runAsNonRoot,
          }).toEqual({
            hook: 'pre-install,pre-upgrade',
            delete: 'before-hook-creation,hook-succeeded',
            afterAccount: true,
            restartPolicy: 'Never',
            serviceAccount: 'ward-hooks',
            readOnly: true,
            nonRoot: true,
          });
        }
        expect(podOf(named(rendered, 'Job', 'ward-migrations')).containers[0]!.command).toEqual([
          'node',
          'scripts/run-ts.mjs',
          'libs/persistence/src/cli/migrate.ts',
        ]);
        expect(podOf(named(rendered, 'Job', 'ward-topics')).containers[0]!.command).toEqual([
          'node',
          'scripts/run-ts.mjs',
          'libs/messaging/src/cli/create-topics.ts',
        ]);
      }
    });
  });

  describe('production values', () => {
    it('autoscale, budget disruptions and leave replicas to the autoscaler', () => {
      const hpas = ofKind(production, 'HorizontalPodAutoscaler');
      const pdbs = ofKind(production, 'PodDisruptionBudget');
      expect(hpas.map(componentOf).sort()).toEqual(Object.keys(SERVICES).sort());
      expect(pdbs.map(componentOf).sort()).toEqual(Object.keys(SERVICES).sort());
      for (const hpa of hpas) {
        expect(hpa.apiVersion).toBe('autoscaling/v2');
        expect(hpa.spec?.scaleTargetRef).toEqual({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: hpa.metadata.name,
        });
        expect(named(production, 'Deployment', hpa.metadata.name).spec?.replicas).toBeUndefined();
      }
      expect(pdbs.every((p) => p.apiVersion === 'policy/v1')).toBe(true);
      expect(ofKind(defaults, 'HorizontalPodAutoscaler')).toEqual([]);
      expect(ofKind(defaults, 'PodDisruptionBudget')).toEqual([]);
    });

    it('deny ingress by default and open the HTTP port to the namespace, the ingress controller and Prometheus', () => {
      const policies = ofKind(production, 'NetworkPolicy');
      const deny = named(production, 'NetworkPolicy', 'ward-default-deny');
      expect(deny.spec).toEqual({
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'ward', 'app.kubernetes.io/instance': 'ward' },
        },
        policyTypes: ['Ingress', 'Egress'],
      });
      const http = policies.filter((p) => p.metadata.name.endsWith('-http'));
      expect(http.map(componentOf).sort()).toEqual(Object.keys(SERVICES).sort());
      for (const policy of http) {
        const [rule, ...more] = policy.spec!.ingress as {
          from: Record<string, unknown>[];
          ports: unknown[];
        }[];
        expect(more).toEqual([]);
        expect(rule!.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
        expect(rule!.from).toEqual(
          expect.arrayContaining([
            { podSelector: {} },
            expect.objectContaining({
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
            }),
            expect.objectContaining({
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
            }),
          ]),
        );
      }
      const egress = named(production, 'NetworkPolicy', 'ward-egress').spec!.egress as {
        ports: { port: number; protocol: string }[];
      }[];
      const ports = egress.flatMap((rule) => rule.ports.map((p) => `${p.port}/${p.protocol}`));
      expect(ports).toEqual(
        expect.arrayContaining(['53/UDP', '53/TCP', '9093/TCP', '5432/TCP', '6379/TCP']),
      );
      expect(ofKind(defaults, 'NetworkPolicy')).toEqual([]);
    });

    it('scrape every service and load Ward’s alerting rules and dashboards', () => {
      const [monitor, ...moreMonitors] = ofKind(production, 'ServiceMonitor');
      expect(moreMonitors).toEqual([]);
      expect(monitor!.spec).toMatchObject({
        jobLabel: 'app.kubernetes.io/component',
        endpoints: [{ port: 'http', path: '/metrics' }],
      });
      const selector = (monitor!.spec!.selector as { matchLabels: Record<string, string> })
        .matchLabels;
      const scraped = ofKind(production, 'Service').filter((s) =>
        Object.entries(selector).every(([k, v]) => s.metadata.labels?.[k] === v),
      );
      expect(scraped.map(componentOf).sort()).toEqual(Object.keys(SERVICES).sort());

      const [rule, ...moreRules] = ofKind(production, 'PrometheusRule');
      expect(moreRules).toEqual([]);
      expect(rule!.spec).toEqual(
        parse(readFileSync(join(ROOT, 'deploy/prometheus/ward-rules.yml'), 'utf8')),
      );
      // WardServiceDown matches `up` by job: the job label must be the service's name.
      expect(JSON.stringify(rule!.spec)).toContain(Object.keys(SERVICES).join('|'));

      const dashboards = ofKind(production, 'ConfigMap').filter(
        (c) => c.metadata.labels?.grafana_dashboard === '1',
      );
      const sources = readdirSync(join(ROOT, 'deploy/grafana/dashboards')).filter((f) =>
        f.endsWith('.json'),
      );
      expect(dashboards.flatMap((d) => Object.keys(d.data ?? {})).sort()).toEqual(sources.sort());
      for (const dashboard of dashboards) {
        for (const [file, json] of Object.entries(dashboard.data ?? {})) {
          expect(JSON.parse(json)).toEqual(
            JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards', file), 'utf8')),
          );
        }
      }
      for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
        expect(ofKind(defaults, kind)).toEqual([]);
      }
    });

    it('connect every Kafka client over TLS with SASL/SCRAM, the CA mounted where KAFKA_SSL_CA_FILE points', () => {
      const clients = [
        ...ofKind(production, 'Deployment'),
        named(production, 'Job', 'ward-topics'),
      ];
      for (const client of clients) {
        const pod = podOf(client);
        const container = pod.containers[0]!;
        const env = environmentOf(production, container);
        const caFile = env.get('KAFKA_SSL_CA_FILE')?.value ?? '';
        const mount = container.volumeMounts?.find((m) => caFile.startsWith(`${m.mountPath}/`));
        expect({
          client: client.metadata.name,
          ssl: env.get('KAFKA_SSL')?.value,
          mechanism: env.get('KAFKA_SASL_MECHANISM')?.value,
          username: env.get('KAFKA_SASL_USERNAME')?.valueFrom?.secretKeyRef,
          password: secretOf(pod, container, env, 'KAFKA_SASL_PASSWORD'),
          brokers: env.get('KAFKA_BROKERS')?.value,
          prefix: env.get('KAFKA_TOPIC_PREFIX')?.value,
          caVolume: pod.volumes?.find((v) => v.name === mount?.name)?.secret,
        }).toEqual({
          client: client.metadata.name,
          ssl: 'true',
          mechanism: 'scram-sha-512',
          username: { name: 'ward-kafka-user', key: 'username' },
          // secretFiles.enabled: the password as a file (KAFKA_SASL_PASSWORD_FILE).
          password: { as: 'file', secret: 'ward-kafka-user', key: 'password' },
          brokers: 'ward-kafka-bootstrap.kafka.svc:9093',
          prefix: 'prod.',
          caVolume: {
            secretName: 'ward-kafka-cluster-ca-cert',
            items: [{ key: 'ca.crt', path: 'ca.crt' }],
          },
        });
      }
    });

    it('ship playbooks that parse, each naming only destinations that are configured', () => {
      const playbooks = named(production, 'ConfigMap', 'ward-playbooks').data ?? {};
      const shipped = readdirSync(join(ROOT, 'deploy/playbooks'));
      expect(Object.keys(playbooks).sort()).toEqual([...shipped, 'notify-soc.yaml'].sort());
      const destinations = parse(
        named(production, 'ConfigMap', 'ward-response-engine-destinations').data![
          'destinations.yaml'
        ]!,
      ) as { destinations: Record<string, { secretEnv?: string }> };
      const engine = podOf(named(production, 'Deployment', 'ward-response-engine'));
      const env = environmentOf(production, engine.containers[0]!);
      expect(env.get('RESPONSE_PLAYBOOK_DIRS')?.value).toBe('/etc/ward/playbooks');
      expect(engine.volumes?.find((v) => v.name === 'playbooks')?.configMap).toEqual({
        name: 'ward-playbooks',
      });
      for (const [file, text] of Object.entries(playbooks)) {
        const parsed = parsePlaybook(text, file, new Set(BUILTIN_ACTIONS));
        expect({ file, ok: parsed.ok }).toEqual({ file, ok: true });
        if (!parsed.ok) {
          continue;
        }
        for (const step of parsed.playbook.steps) {
          const destination = (step.with as { destination?: unknown } | undefined)?.destination;
          if (typeof destination === 'string') {
            expect({
              file,
              destination,
              configured: destination in destinations.destinations,
            }).toEqual({ file, destination, configured: true });
          }
        }
      }
      for (const { secretEnv } of Object.values(destinations.destinations)) {
        if (secretEnv !== undefined) {
          expect(env.get(secretEnv)?.valueFrom?.secretKeyRef).toBeDefined();
        }
      }
    });
  });
});
