import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { type AuthSettings, type EnvSpec, infrastructureEnv, readEnv } from '@ward/config';
import { parse } from 'yaml';
/* eslint-disable @nx/enforce-module-boundaries, no-restricted-imports --
   The real check of the compose file is each service's own configuration
   loader accepting the environment compose gives it; the loaders live in the
   apps, which no library may import. */
import {
  monitorEnv,
  loadMonitorConfig,
} from '../../apps/behavioral-monitor/src/config/monitor.config';
import { fusionEnv, loadFusionConfig } from '../../apps/fusion/src/config/fusion.config';
import { loadPolicyConfig, policyEnv } from '../../apps/policy-generator/src/config/policy.config';
import {
  loadResponseConfig,
  responseEnv,
} from '../../apps/response-engine/src/config/response.config';
import { ingestEnv, loadIngestConfig } from '../../apps/sentinel-ingest/src/config/ingest.config';
/* eslint-enable @nx/enforce-module-boundaries, no-restricted-imports */
import {
  buildContext,
  copiedFiles,
  DockerIgnore,
  type Dockerfile,
  execForm,
  importClosure,
  interpolateDeep,
  parseCopy,
  parseDockerfile,
  ROOT,
  type Stage,
  UNWALKED,
} from './docker-files';

/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked without a
 * Docker engine: each service's compose environment against its own
 * configuration loader, ports and health checks against its PORT, the images
 * against what the services import, and the Prometheus and Grafana mounts
 * against the files they load.
 */

type Loader = (env: Record<string, string>) => {
  http: { host: string; port: number };
  auth: AuthSettings;
};

/** Each Ward service's environment spec and loader; the first test checks it lists every app. */
const SERVICES: Record<string, { spec: EnvSpec; load: Loader }> = {
  'sentinel-ingest': { spec: ingestEnv, load: loadIngestConfig },
  'behavioral-monitor': { spec: monitorEnv, load: loadMonitorConfig },
  fusion: { spec: fusionEnv, load: loadFusionConfig },
  'response-engine': { spec: responseEnv, load: loadResponseConfig },
  'policy-generator': { spec: policyEnv, load: loadPolicyConfig },
};

/** The apps an image can be built for: nx projects tagged type:app. */
const APPS = readdirSync(join(ROOT, 'apps'))
  .filter((name) => {
    const project = join(ROOT, 'apps', name, 'project.json');
    return (
      existsSync(project) &&
      ((JSON.parse(readFileSync(project, 'utf8')) as { tags?: string[] }).tags ?? []).includes(
        'type:app',
      )
    );
  })
  .sort();

const INFRASTRUCTURE = ['kafka', 'postgres', 'redis'];
/** Services drain for up to this long on SIGTERM (libs/observability, closeOnSignals). */
const SHUTDOWN_TIMEOUT_SECONDS = 30;

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string>; target?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  volumes?: string[];
  secrets?: (string | { source: string; target?: string })[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  restart?: string;
}

interface Compose {
  name: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

function loadCompose(vars: Record<string, string> = {}): Compose {
  return interpolateDeep(parse(read('docker-compose.yml'), { merge: true }), vars) as Compose;
}

const envOf = (service: ComposeService): Record<string, string> =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value)]),
  );

/** The compose secrets a service mounts: container path → file on this machine. */
function secretMounts(file: Compose, service: ComposeService): Map<string, string> {
  return new Map(
    (service.secrets ?? []).map((entry) => {
      const { source, target } = typeof entry === 'string' ? { source: entry } : entry;
      const secret = file.secrets?.[source];
      if (secret === undefined) {
        throw new Error(`secret ${source} is not declared at the top level`);
      }
      return [
        target === undefined ? `/run/secrets/${source}` : target,
        resolve(ROOT, secret.file),
      ] as const;
    }),
  );
}

/** A service's environment as it would see it on this machine: *_FILE paths mapped to the secrets' files. */
function hostEnvOf(file: Compose, service: ComposeService): Record<string, string> {
  const mounts = secretMounts(file, service);
  return Object.fromEntries(
    Object.entries(envOf(service)).map(([key, value]) => [
      key,
      key.endsWith('_FILE') ? (mounts.get(value) ?? value) : value,
    ]),
  );
}

function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.text);
}

function stageNamed(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (stage === undefined) {
    throw new Error(`the Dockerfile has no stage ${name}`);
  }
  return stage;
}

/** The stages an image is made of, base first (FROM <stage> chains). */
function stageChain(dockerfile: Dockerfile, name: string): Stage[] {
  const chain: Stage[] = [];
  let stage: Stage | undefined = stageNamed(dockerfile, name);
  while (stage !== undefined) {
    chain.unshift(stage);
    const from: string = stage.from;
    stage = dockerfile.stages.find((s) => s.name === from);
  }
  return chain;
}

/** ENV key=value pairs of a stage chain, in order. */
function envOfStages(stages: readonly Stage[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const text of stages.flatMap((s) => instructions(s, 'ENV'))) {
    for (const [, key, value] of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[key!] = value!.replace(/^"|"$/g, '');
    }
  }
  return env;
}

function healthUrl(test: readonly string[] | undefined): string | undefined {
  return /fetch\('([^']+)'/.exec(test?.join(' ') ?? '')?.[1];
}

function seconds(duration: string | undefined): number {
  const match = /^(\d+)(s|m)$/.exec(duration ?? '');
  return match ? Number(match[1]) * (match[2] === 'm' ? 60 : 1) : 0;
}

/** "127.0.0.1:3001:3001" → { ip, host, container }. */
function portMapping(spec: string): { ip: string; host: string; container: string } {
  const match = /^(\d+\.\d+\.\d+\.\d+):(\d+):(\d+)$/.exec(spec);
  if (!match) {
    throw new Error(`port ${spec} does not name a host IP, a host port and a container port`);
  }
  return { ip: match[1]!, host: match[2]!, container: match[3]! };
}

/** "./deploy/prometheus:/etc/prometheus:ro" → { source, target, readOnly } for bind mounts. */
function bindMounts(service: ComposeService): { source: string; target: string; ro: boolean }[] {
  return (service.volumes ?? [])
    .filter((v) => v.startsWith('./'))
    .map((v) => {
      const [source, target, mode] = v.split(':') as [string, string, string?];
      return { source: source.slice(2), target, ro: mode === 'ro' };
    });
}

const compose = loadCompose();
const services = compose.services;
const dockerfile = parseDockerfile(read('Dockerfile'));
const ignore = new DockerIgnore(read('.dockerignore'));
const context = buildContext(ignore);
const packageJson = JSON.parse(read('package.json')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lockfile = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { dev?: boolean; peerDependencies?: Record<string, string> }>;
};

/** What the init service runs: `node scripts/run-ts.mjs <file>` commands. */
const JOBS = [...(services.init?.command ?? []).join(' ').matchAll(/scripts\/run-ts\.mjs (\S+)/g)]
  .map((m) => m[1]!)
  .sort();

describe('docker-compose.yml', () => {
  it('runs as is: every ${VAR} it reads has a default', () => {
    expect(() => loadCompose()).not.toThrow();
  });

  it('lists every variable it reads in deploy/compose/env.example, with the same defaults', () => {
    const example = Object.fromEntries(
      read('deploy/compose/env.example')
        .split('\n')
        .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line))
        .filter((m) => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
    const strings: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') {
        strings.push(value);
      } else if (value !== null && typeof value === 'object') {
        Object.values(value).forEach(collect);
      }
    };
    collect(parse(read('docker-compose.yml'), { merge: true }));
    const variables = [...strings.join('\n').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map(
      (m) => m[1]!,
    );
    expect(Object.keys(example).sort()).toEqual([...new Set(variables)].sort());
    expect(loadCompose(example)).toEqual(loadCompose());
  });

  it("has a service for each of Ward's apps, the init job and the infrastructure", () => {
    expect(Object.keys(SERVICES).sort()).toEqual(APPS);
    expect(Object.keys(services).sort()).toEqual(
      [...APPS, ...INFRASTRUCTURE, 'init', 'prometheus', 'grafana'].sort(),
    );
  });

  describe.each(APPS)('%s', (app) => {
    const service = services[app]!;
    const env = envOf(service);
    const { spec, load } = SERVICES[app]!;
    const port = spec.PORT!.defaultText!;
    const usesRedis = 'REDIS_KEY_PREFIX' in spec;

    it('is built from the Dockerfile with APP set to it', () => {
      expect(service.build).toEqual({ context: '.', args: { APP: app } });
      expect(service.image).toBeUndefined();
    });

    it("has an environment its own configuration loader accepts (with the image's ENV)", () => {
      const imageEnv = envOfStages(stageChain(dockerfile, `ward-${app}`));
      const config = load({ ...imageEnv, ...hostEnvOf(compose, service) });
      expect(config.http).toEqual({ host: '0.0.0.0', port: Number(port) });
    });

    it('sets only variables the service reads (a secret also as <NAME>_FILE, never both)', () => {
      const secretFile = (name: string) =>
        name.endsWith('_FILE') && spec[name.slice(0, -'_FILE'.length)]?.secret === true;
      expect(Object.keys(env).filter((name) => !(name in spec) && !secretFile(name))).toEqual([]);
      expect(
        Object.keys(env).filter((name) => secretFile(name) && name.slice(0, -5) in env),
      ).toEqual([]);
    });

    it('listens on its usual port, published on 127.0.0.1 and health-checked at /readyz', () => {
      expect(env.PORT).toBe(port);
      expect(service.ports?.map(portMapping)).toEqual([
        { ip: '127.0.0.1', host: port, container: port },
      ]);
      expect(service.healthcheck?.test?.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(healthUrl(service.healthcheck?.test)).toBe(`http://127.0.0.1:${port}/readyz`);
    });

    it('reaches Kafka, PostgreSQL and (when it keeps state there) Redis by their compose names', () => {
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(new URL(env.DATABASE_URL!).host).toBe('postgres:5432');
      expect(env.REDIS_URL === undefined ? undefined : new URL(env.REDIS_URL).host).toBe(
        usesRedis ? 'redis:6379' : undefined,
      );
    });

    it('starts once init has succeeded and the infrastructure it uses is healthy', () => {
      expect(service.depends_on).toEqual({
        init: { condition: 'service_completed_successfully' },
        kafka: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        ...(usesRedis && { redis: { condition: 'service_healthy' } }),
      });
    });

    it("runs as the image's user with a read-only root, a tmpfs /tmp and no capabilities", () => {
      const user = instructions(stageNamed(dockerfile, 'base'), 'USER').at(-1);
      expect({
        user: service.user,
        readOnly: service.read_only,
        tmp: service.tmpfs?.some((t) => t === '/tmp' || t.startsWith('/tmp:')),
        capDrop: service.cap_drop,
        noNewPrivileges: service.security_opt?.includes('no-new-privileges:true'),
        restart: service.restart,
      }).toEqual({
        user,
        readOnly: true,
        tmp: true,
        capDrop: ['ALL'],
        noNewPrivileges: true,
        restart: 'unless-stopped',
      });
      expect(seconds(service.stop_grace_period)).toBeGreaterThan(SHUTDOWN_TIMEOUT_SECONDS);
    });
  });

  describe('init', () => {
    const init = services.init!;
    const env = envOf(init);

    it('runs the migrations, then creates the topics, from a service image', () => {
      expect(APPS).toContain(init.build?.args?.APP);
      expect(init.build?.context).toBe('.');
      expect(JOBS).toEqual([
        'libs/messaging/src/cli/create-topics.ts',
        'libs/persistence/src/cli/migrate.ts',
      ]);
      const script = init.command?.join(' ') ?? '';
      expect(script.indexOf('migrate.ts')).toBeLessThan(script.indexOf('create-topics.ts'));
      expect(script).toContain('migrate.ts && ');
    });

    it('has an environment the shared infrastructure settings accept, and nothing else', () => {
      expect(() => readEnv(infrastructureEnv, env)).not.toThrow();
      expect(Object.keys(env).filter((name) => !(name in infrastructureEnv))).toEqual([]);
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(new URL(env.DATABASE_URL!).host).toBe('postgres:5432');
    });

    it('waits for Kafka and PostgreSQL, runs once, hardened like the services', () => {
      expect(init.depends_on).toEqual({
        kafka: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
      expect(init.restart).toBe('no');
      expect(init.healthcheck).toEqual({ disable: true });
      expect([init.user, init.read_only, init.cap_drop]).toEqual([
        services[APPS[0]!]!.user,
        true,
        ['ALL'],
      ]);
    });
  });

  describe('infrastructure', () => {
    it('runs the Kafka version deploy/local/infra.sh runs, in KRaft mode', () => {
      const version = /<kafka\.version>([^<]+)</.exec(read('deploy/local/pom.xml'))?.[1];
      const kafka = envOf(services.kafka!);
      expect(services.kafka!.image).toBe(`apache/kafka:${version}`);
      expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${kafka.KAFKA_NODE_ID}@kafka:9093`);
      expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    });

    it("advertises kafka:9092 to the containers and its published port to this machine's clients", () => {
      const kafka = envOf(services.kafka!);
      const listeners = Object.fromEntries(
        kafka.KAFKA_LISTENERS!.split(',').map((l) => l.split('://') as [string, string]),
      );
      const advertised = Object.fromEntries(
        kafka.KAFKA_ADVERTISED_LISTENERS!.split(',').map((l) => l.split('://') as [string, string]),
      );
      const protocols = Object.fromEntries(
        kafka
          .KAFKA_LISTENER_SECURITY_PROTOCOL_MAP!.split(',')
          .map((l) => l.split(':') as [string, string]),
      );
      const [published] = services.kafka!.ports!.map(portMapping);
      expect(advertised).toEqual({
        INTERNAL: 'kafka:9092',
        HOST: `127.0.0.1:${published!.host}`,
      });
      expect(listeners).toEqual({
        INTERNAL: ':9092',
        HOST: `:${published!.container}`,
        CONTROLLER: ':9093',
      });
      expect(Object.keys(protocols).sort()).toEqual(Object.keys(listeners).sort());
      expect(kafka.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('INTERNAL');
      expect(kafka.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
    });

    it("gives every service PostgreSQL's own user, password and database, also when the password is set", () => {
      const settings: Record<string, string>[] = [{}, { POSTGRES_PASSWORD: 'not-the-default' }];
      for (const vars of settings) {
        const all = loadCompose(vars).services;
        const postgres = envOf(all.postgres!);
        for (const name of [...APPS, 'init']) {
          const url = new URL(envOf(all[name]!).DATABASE_URL!);
          expect([name, url.username, url.password, url.pathname]).toEqual([
            name,
            postgres.POSTGRES_USER,
            postgres.POSTGRES_PASSWORD,
            `/${postgres.POSTGRES_DB}`,
          ]);
        }
      }
    });

    it('publishes every port on 127.0.0.1 only, each host port once', () => {
      const mappings = Object.values(services).flatMap((s) => (s.ports ?? []).map(portMapping));
      expect(new Set(mappings.map((m) => m.ip))).toEqual(new Set(['127.0.0.1']));
      expect(new Set(mappings.map((m) => m.host)).size).toBe(mappings.length);
    });

    it('orders start-up by a dependency graph without cycles, on conditions each target can meet', () => {
      const visiting = new Set<string>();
      const done = new Set<string>();
      const visit = (name: string, path: string[]): void => {
        if (visiting.has(name)) {
          throw new Error(`dependency cycle: ${[...path, name].join(' → ')}`);
        }
        if (done.has(name)) {
          return;
        }
        visiting.add(name);
        for (const [target, { condition }] of Object.entries(services[name]!.depends_on ?? {})) {
          const dependency = services[target];
          expect([name, target, dependency !== undefined]).toEqual([name, target, true]);
          if (condition === 'service_healthy') {
            expect([target, (dependency!.healthcheck?.test ?? []).length > 0]).toEqual([
              target,
              true,
            ]);
          } else if (condition === 'service_completed_successfully') {
            expect([target, dependency!.restart]).toEqual([target, 'no']);
          } else {
            expect([name, target, condition]).toEqual([name, target, 'service_started']);
          }
          visit(target, [...path, name]);
        }
        visiting.delete(name);
        done.add(name);
      };
      for (const name of Object.keys(services)) {
        visit(name, []);
      }
      expect(done.size).toBe(Object.keys(services).length);
    });

    it('mounts only folders and files of the repository, and declares its named volumes', () => {
      for (const [name, service] of Object.entries(services)) {
        for (const mount of bindMounts(service)) {
          expect([name, mount.source, existsSync(join(ROOT, mount.source)), mount.ro]).toEqual([
            name,
            mount.source,
            true,
            true,
          ]);
        }
        for (const volume of (service.volumes ?? []).filter((v) => !v.startsWith('./'))) {
          expect(Object.keys(compose.volumes ?? {})).toContain(volume.split(':')[0]);
        }
        for (const [target, file] of secretMounts(compose, service)) {
          expect([name, target, existsSync(file)]).toEqual([name, target, true]);
        }
      }
    });
  });

  describe('authentication', () => {
    interface ScrapeConfig {
      job_name: string;
      authorization?: { type?: string; credentials_file?: string };
      static_configs?: { targets: string[] }[];
    }
    const scrapeConfigs = () =>
      (parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] })
        .scrape_configs;
    const configOf = (file: Compose, app: string) =>
      SERVICES[app]!.load({
        ...envOfStages(stageChain(dockerfile, `ward-${app}`)),
        ...hostEnvOf(file, file.services[app]!),
      });

    it('gives METRICS_TOKEN to every service and Prometheus from one file: /metrics open by default, guarded once the file holds a token', () => {
      for (const app of APPS) {
        expect([app, configOf(compose, app).auth.metricsToken]).toEqual([app, undefined]);
      }
      const dir = mkdtempSync(join(tmpdir(), 'ward-compose-'));
      try {
        const tokenFile = join(dir, 'metrics-token');
        writeFileSync(tokenFile, 'compose-metrics-token\n');
        const withToken = loadCompose({ WARD_METRICS_TOKEN_FILE: tokenFile });
        for (const app of APPS) {
          expect([app, configOf(withToken, app).auth.metricsToken]).toEqual([
            app,
            'compose-metrics-token',
          ]);
        }
        // Prometheus reads credentials_file relative to prometheus.yml, in the folder compose mounts.
        const folder = bindMounts(services.prometheus!).find(
          (m) => m.source === 'deploy/prometheus',
        )!.target;
        const prometheusSecrets = secretMounts(withToken, withToken.services.prometheus!);
        const jobs = scrapeConfigs().filter((c) => c.job_name !== 'prometheus');
        expect(jobs.map((c) => c.job_name).sort()).toEqual(APPS);
        for (const job of jobs) {
          const file = job.authorization?.credentials_file ?? '';
          expect({
            job: job.job_name,
            type: job.authorization?.type,
            source: prometheusSecrets.get(posix.resolve(folder, file)),
          }).toEqual({ job: job.job_name, type: 'Bearer', source: tokenFile });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('ships an empty default token file, so that scraping works before a token is chosen', () => {
      const file = compose.secrets?.['metrics-token']?.file ?? '';
      expect(resolve(ROOT, file)).toBe(join(ROOT, 'deploy/prometheus/metrics-token'));
      expect(readFileSync(join(ROOT, 'deploy/prometheus/metrics-token'), 'utf8').trim()).toBe('');
    });

    it('passes the OIDC settings to every service, and none by default', () => {
      const oidc = {
        AUTH_OIDC_ISSUER: 'https://idp.example.com/realms/ward',
        AUTH_OIDC_AUDIENCE: 'ward',
        AUTH_OIDC_JWKS_URL: 'https://idp.example.com/realms/ward/certs',
        AUTH_OIDC_TENANT_CLAIM: 'org',
        AUTH_OIDC_ROLES_CLAIM: 'groups',
      };
      const withOidc = loadCompose(oidc);
      for (const app of APPS) {
        expect([app, configOf(compose, app).auth.oidc]).toEqual([app, undefined]);
        expect([app, configOf(withOidc, app).auth.oidc]).toEqual([
          app,
          {
            issuer: oidc.AUTH_OIDC_ISSUER,
            audience: oidc.AUTH_OIDC_AUDIENCE,
            jwksUrl: oidc.AUTH_OIDC_JWKS_URL,
            tenantClaim: 'org',
            rolesClaim: 'groups',
          },
        ]);
      }
    });
  });

  describe('Prometheus and Grafana', () => {
    const prometheus = services.prometheus!;
    const grafana = services.grafana!;

    it('loads deploy/prometheus/prometheus.yml and the rule files it names', () => {
      expect(bindMounts(prometheus)).toContainEqual({
        source: 'deploy/prometheus',
        target: '/etc/prometheus',
        ro: true,
      });
      expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
      const config = parse(read('deploy/prometheus/prometheus.yml')) as {
        rule_files?: string[];
        scrape_configs: { static_configs?: { targets: string[] }[] }[];
      };
      expect(config.rule_files).toContain('ward-rules.yml');
      for (const file of config.rule_files ?? []) {
        expect([file, existsSync(join(ROOT, 'deploy/prometheus', file))]).toEqual([file, true]);
      }
    });

    it('scrapes each Ward service at its compose name and PORT', () => {
      const config = parse(read('deploy/prometheus/prometheus.yml')) as {
        scrape_configs: { static_configs?: { targets: string[] }[] }[];
      };
      const targets = config.scrape_configs.flatMap((c) =>
        (c.static_configs ?? []).flatMap((s) => s.targets),
      );
      for (const app of APPS) {
        expect(targets).toContain(`${app}:${envOf(services[app]!).PORT}`);
      }
      for (const target of targets) {
        const host = target.split(':')[0]!;
        expect([target, host === 'localhost' || host in services]).toEqual([target, true]);
      }
    });

    it('provisions Grafana from deploy/grafana, with the dashboards where its provider looks', () => {
      const mounts = bindMounts(grafana);
      expect(mounts).toContainEqual({
        source: 'deploy/grafana/provisioning',
        target: '/etc/grafana/provisioning',
        ro: true,
      });
      const providers = readdirSync(join(ROOT, 'deploy/grafana/provisioning/dashboards'))
        .filter((f) => /\.ya?ml$/.test(f))
        .flatMap(
          (f) =>
            (
              parse(read(`deploy/grafana/provisioning/dashboards/${f}`)) as {
                providers: { type: string; options: { path: string } }[];
              }
            ).providers,
        );
      expect(providers.length).toBeGreaterThan(0);
      for (const provider of providers) {
        const mount = mounts.find((m) => m.target === provider.options.path);
        expect([provider.options.path, mount?.source]).toEqual([
          provider.options.path,
          'deploy/grafana/dashboards',
        ]);
        const dashboards = readdirSync(join(ROOT, mount!.source)).filter((f) =>
          f.endsWith('.json'),
        );
        expect(dashboards.length).toBeGreaterThan(0);
      }
    });

    it("points Grafana's data sources at the compose Prometheus", () => {
      const sources = readdirSync(join(ROOT, 'deploy/grafana/provisioning/datasources'))
        .filter((f) => /\.ya?ml$/.test(f))
        .flatMap(
          (f) =>
            (
              parse(read(`deploy/grafana/provisioning/datasources/${f}`)) as {
                datasources: { type: string; url: string }[];
              }
            ).datasources,
        );
      const container = prometheus.ports!.map(portMapping)[0]!.container;
      expect(sources.filter((s) => s.type === 'prometheus').map((s) => s.url)).toEqual([
        `http://prometheus:${container}`,
      ]);
    });
  });
});

describe('Dockerfile', () => {
  const base = stageNamed(dockerfile, 'base');
  const deps = stageNamed(dockerfile, 'deps');

  it('installs production dependencies in one stage and copies only node_modules out of it', () => {
    const install = instructions(deps, 'RUN').join(' ');
    expect(install).toMatch(/npm (install|ci) .*--omit=dev/);
    expect(
      instructions(base, 'COPY')
        .filter((c) => c.startsWith('--from='))
        .map((c) => parseCopy({ keyword: 'COPY', text: c, line: 0 })),
    ).toEqual([{ from: 'deps', sources: ['/app/node_modules'], destination: 'node_modules' }]);
    for (const stage of dockerfile.stages.filter((s) => s !== deps)) {
      expect(instructions(stage, 'RUN').join(' ')).not.toMatch(/\bnpm (install|ci)\b/);
    }
  });

  it("installs @swc/core's addon unpacked, so that loading it writes nothing", () => {
    const runs = instructions(deps, 'RUN');
    const install = runs.findIndex((r) => /npm (install|ci)/.test(r));
    const unpack = runs.findIndex((r) => r.includes('SWC_NATIVE_BINDING_CACHE='));
    expect(unpack).toBeGreaterThan(install);
    // Unpacks into one cache, copies the addon over the compressed one, then loads
    // again with an empty cache and fails if anything appeared in it.
    expect(runs[unpack]).toMatch(/set -eu;/);
    expect(runs[unpack]).toMatch(/cp "\$unpacked" "\$carrier"/);
    expect(runs[unpack]).toMatch(
      /SWC_NATIVE_BINDING_CACHE=(\S+) XDG_CACHE_HOME=\1 node -e .*if \[ -n "\$\(ls -A \1\)" \]; then .*exit 1; fi/,
    );
  });

  it('runs on Debian slim with Node 20.19 or later (require() of ESM-only packages)', () => {
    const arg = dockerfile.globalArgs.find((a) => a.text.startsWith('NODE_IMAGE='))?.text;
    const [, major, minor] = /^NODE_IMAGE=node:(\d+)\.(\d+)-bookworm-slim$/.exec(arg ?? '') ?? [];
    expect(Number(major) > 20 || (Number(major) === 20 && Number(minor) >= 19)).toBe(true);
    expect(deps.from).toBe('${NODE_IMAGE}');
    expect(base.from).toBe('${NODE_IMAGE}');
  });

  it('runs as a numeric user other than root, which no service stage changes', () => {
    const users = instructions(base, 'USER');
    expect(users).toHaveLength(1);
    const [uid] = users[0]!.split(':');
    expect(users[0]).toMatch(/^\d+:\d+$/);
    expect(Number(uid)).toBeGreaterThanOrEqual(1000);
    for (const app of APPS) {
      expect(instructions(stageNamed(dockerfile, `ward-${app}`), 'USER')).toEqual([]);
    }
  });

  it('has one stage per service, picked by APP, and stops with the list when APP is empty', () => {
    expect(dockerfile.globalArgs.map((a) => a.text)).toContain('APP');
    const serviceStages = dockerfile.stages
      .map((s) => s.name)
      .filter((name) => name?.startsWith('ward-'))
      .sort();
    expect(serviceStages).toEqual([...APPS.map((app) => `ward-${app}`), 'ward-unset'].sort());
    expect(dockerfile.stages.at(-1)).toMatchObject({ from: 'ward-${APP:-unset}', name: undefined });
    const unset = instructions(stageNamed(dockerfile, 'ward-unset'), 'RUN').join(' ');
    expect(unset).toMatch(/if \[ -z "\$\{APP\}" \];.*exit 1/);
    for (const app of APPS) {
      expect(unset).toContain(` ${app}`);
    }
  });

  it('sets production mode, binds every interface and has @swc-node/register write no cache', () => {
    expect(envOfStages([base])).toEqual({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      SWC_NODE_CACHE: '0',
    });
  });

  it('holds no secrets', () => {
    const names = dockerfile.stages
      .flatMap((s) => s.instructions)
      .concat(dockerfile.globalArgs)
      .filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')
      .flatMap((i) => [...i.text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!));
    expect(names.filter((n) => /TOKEN|PASSWORD|SECRET|KEY|CREDENTIAL/i.test(n))).toEqual([]);
    expect(read('Dockerfile')).not.toMatch(/:\/\/[^/\s:@]+:[^/\s@]+@/);
  });

  describe.each(APPS)('stage ward-%s', (app) => {
    const stage = stageNamed(dockerfile, `ward-${app}`);
    const port = SERVICES[app]!.spec.PORT!.defaultText!;

    it("copies the app's sources and starts its main.ts through scripts/run-ts.mjs", () => {
      expect(instructions(stage, 'COPY')).toEqual([`apps/${app}/src apps/${app}/src`]);
      const cmd = execForm(instructions(stage, 'CMD')[0]!);
      expect(cmd).toEqual(['node', 'scripts/run-ts.mjs', `apps/${app}/src/main.ts`]);
      expect(existsSync(join(ROOT, cmd[2]!))).toBe(true);
    });

    it("exposes the service's default PORT and health-checks /readyz on PORT", () => {
      expect(instructions(stage, 'EXPOSE')).toEqual([port]);
      const [healthcheck] = instructions(stage, 'HEALTHCHECK');
      const test = execForm(healthcheck!.replace(/^.*?CMD\s+/, ''));
      expect(test.slice(0, 2)).toEqual(['node', '-e']);
      expect(test[2]).toContain(
        `fetch('http://127.0.0.1:' + (process.env.PORT || ${port}) + '/readyz')`,
      );
    });

    it('holds every file its service and the init jobs import, and their packages are production dependencies', () => {
      const copies = stageChain(dockerfile, `ward-${app}`)
        .flatMap((s) => s.instructions)
        .filter((i) => i.keyword === 'COPY')
        .map(parseCopy)
        .filter((c) => c.from === undefined);
      const image = new Set(copies.flatMap((c) => copiedFiles(c, context)));
      const closure = importClosure([`apps/${app}/src/main.ts`, ...JOBS]);
      expect(JOBS.length).toBeGreaterThan(0);
      expect([...closure.files].filter((f) => !image.has(f))).toEqual([]);
      expect(image.has('scripts/run-ts.mjs')).toBe(true);
      // run-ts.mjs compiles with the paths of tsconfig.base.json.
      expect(image.has('tsconfig.base.json')).toBe(true);
      const notProduction = [...closure.packages].filter(
        ([name]) => packageJson.dependencies[name] === undefined,
      );
      expect(notProduction).toEqual([]);
    });
  });

  it('gives response-engine its default playbook folders', () => {
    const image = new Set(
      stageChain(dockerfile, 'ward-response-engine')
        .flatMap((s) => s.instructions)
        .filter((i) => i.keyword === 'COPY')
        .map(parseCopy)
        .filter((c) => c.from === undefined)
        .flatMap((c) => copiedFiles(c, context)),
    );
    const dirs = loadResponseConfig({}).playbookDirs;
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) {
      expect([dir, [...image].some((f) => f.startsWith(`${dir}/`) && f.endsWith('.yaml'))]).toEqual(
        [dir, true],
      );
    }
  });

  it('runs TypeScript with packages npm installs without --include=dev', () => {
    expect(read('scripts/run-ts.mjs')).toContain("'@swc-node/register'");
    const register = lockfile.packages['node_modules/@swc-node/register']!;
    const runtime = ['@swc-node/register', ...Object.keys(register.peerDependencies ?? {})];
    expect(runtime).toEqual(expect.arrayContaining(['@swc/core', 'typescript']));
    for (const name of runtime) {
      expect([name, lockfile.packages[`node_modules/${name}`]?.dev ?? false]).toEqual([
        name,
        false,
      ]);
    }
  });

  it('sends the builder only what it copies: no local state, secrets or test code', () => {
    for (const path of [
      ...UNWALKED.map((dir) => `${dir}/x`),
      'tmp/x',
      '.ward/x',
      'docs/DEVELOPMENT.md',
      'coverage/x',
      '.env',
      'helm/ward/values.yaml',
      'apps/mesh-e2e/src/mesh.int-spec.ts',
      'libs/testing/src/index.ts',
      'libs/config/src/lib/env.spec.ts',
      'apps/fusion/src/config/fusion.config.spec.ts',
      'apps/fusion/jest.config.js',
    ]) {
      expect([path, ignore.ignores(path)]).toEqual([path, true]);
    }
    for (const path of ['package.json', 'libs/config/src/index.ts', 'apps/fusion/src/main.ts']) {
      expect([path, ignore.ignores(path)]).toEqual([path, false]);
    }
  });

  it('finds files for every COPY from the build context', () => {
    for (const instruction of dockerfile.stages.flatMap((s) => s.instructions)) {
      if (instruction.keyword !== 'COPY') {
        continue;
      }
      const copy = parseCopy(instruction);
      if (copy.from === undefined) {
        for (const source of copy.sources) {
          const files = copiedFiles({ ...copy, sources: [source] }, context);
          expect([instruction.line, source, files.length > 0]).toEqual([
            instruction.line,
            source,
            true,
          ]);
        }
      }
    }
  });
});
