import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_ACTIONS, parsePlaybook } from '@ward/playbooks';
import {
  helm,
  k8sValidateBinary,
  runHelm,
  validatedKubeVersion,
  validateManifests,
} from '@ward/testing';
import { parse, parseAllDocuments, stringify } from 'yaml';

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
/** Environment variables that hold secrets: they may only come from a Secret. */
const SECRET_ENV =
  /^(DATABASE_URL|REDIS_URL|KAFKA_SASL_USERNAME|KAFKA_SASL_PASSWORD)$|_TOKEN$|_SECRET$/;

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
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
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
    return [key === 'outboundAllowHosts' ? 'hooks.example.com' : 'sample-item'];
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
        for (const container of podOf(workload).containers) {
          for (const entry of (container.env ?? []).filter((e) => SECRET_ENV.test(e.name))) {
            expect({ workload: workload.metadata.name, entry }).toEqual({
              workload: workload.metadata.name,
              entry: {
                name: entry.name,
                valueFrom: { secretKeyRef: { name: expect.any(String), key: expect.any(String) } },
              },
            });
          }
        }
      }
      const databaseUrl = environmentOf(
        rendered,
        podOf(named(rendered, 'Deployment', 'ward-fusion')).containers[0]!,
      ).get('DATABASE_URL');
      expect(databaseUrl?.valueFrom?.secretKeyRef?.name).toMatch(/^ward-(database|postgres)$/);
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
          password: env.get('KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef,
          brokers: env.get('KAFKA_BROKERS')?.value,
          prefix: env.get('KAFKA_TOPIC_PREFIX')?.value,
          caVolume: pod.volumes?.find((v) => v.name === mount?.name)?.secret,
        }).toEqual({
          client: client.metadata.name,
          ssl: 'true',
          mechanism: 'scram-sha-512',
          username: { name: 'ward-kafka-user', key: 'username' },
          password: { name: 'ward-kafka-user', key: 'password' },
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
