import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');
const TOOLS_SCRIPT = join(ROOT, 'deploy/local/tools.sh');
const VALIDATOR_DIR = join(ROOT, 'deploy/k8s-validate');
const HINT =
  'install it with `bash deploy/local/tools.sh helm` (npm test does this) or set WARD_HELM';

function wardHome(source: NodeJS.ProcessEnv): string {
  return source.WARD_HOME ?? join(source.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ward');
}

/** The Helm version deploy/local/tools.sh pins, read from the script so it is stated once. */
export function pinnedHelmVersion(): string {
  const match = /^HELM_VERSION="([^"]+)"/m.exec(readFileSync(TOOLS_SCRIPT, 'utf8'));
  if (!match) {
    throw new Error(`no HELM_VERSION in ${TOOLS_SCRIPT}`);
  }
  return match[1]!;
}

/**
 * The Helm binary: WARD_HELM, else the pinned install under $WARD_HOME. Throws
 * when there is neither: tests that need Helm fail, they are never skipped.
 */
export function helmBinary(source: NodeJS.ProcessEnv = process.env): string {
  if (source.WARD_HELM) {
    if (!existsSync(source.WARD_HELM)) {
      throw new Error(`WARD_HELM=${source.WARD_HELM} does not exist; ${HINT}`);
    }
    return source.WARD_HELM;
  }
  const version = pinnedHelmVersion();
  const path = join(wardHome(source), 'tools', `helm-${version}`, 'helm');
  if (!existsSync(path)) {
    throw new Error(`Helm ${version} is not installed at ${path}: ${HINT}`);
  }
  return path;
}

export interface ToolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, args: readonly string[], stdin?: string): ToolResult {
  const result = spawnSync(binary, args, {
    cwd: ROOT,
    input: stdin,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) {
    throw result.error;
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `helm <args>` from the repository root (no shell); the caller asserts on the status. */
export function runHelm(args: readonly string[]): ToolResult {
  return run(helmBinary(), args);
}

/** Runs `helm <args>` and returns its standard output; throws with Helm's message on failure. */
export function helm(args: readonly string[]): string {
  const result = runHelm(args);
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * The Kubernetes version charts are rendered for: the one of the k8s.io/api
 * module deploy/k8s-validate validates against (v0.N.x is Kubernetes 1.N.x),
 * so rendering and validation agree on the API.
 */
export function validatedKubeVersion(): string {
  const goMod = readFileSync(join(VALIDATOR_DIR, 'go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/api v0\.(\d+)\.(\d+)/m.exec(goMod);
  if (!match) {
    throw new Error(`no k8s.io/api requirement in ${VALIDATOR_DIR}/go.mod`);
  }
  return `1.${match[1]}.${match[2]}`;
}

/** Hash of the validator's sources and module files: a change builds a new binary beside the old. */
function validatorHash(): string {
  const hash = createHash('sha256');
  const files = readdirSync(VALIDATOR_DIR)
    .filter((name) => name.endsWith('.go') || name === 'go.mod' || name === 'go.sum')
    .sort();
  for (const name of files) {
    hash
      .update(`${name}\0`)
      .update(readFileSync(join(VALIDATOR_DIR, name)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The k8s-validate binary (deploy/k8s-validate), built with `go build` into
 * $WARD_HOME/tools/k8s-validate-<hash of its sources>/ when absent. The first
 * build downloads k8s.io/api from the Go module proxy unless Helm's build
 * (deploy/local/tools.sh helm) already did; later calls reuse the binary.
 */
export function k8sValidateBinary(source: NodeJS.ProcessEnv = process.env): string {
  const dir = join(wardHome(source), 'tools', `k8s-validate-${validatorHash()}`);
  const binary = join(dir, 'k8s-validate');
  if (existsSync(binary)) {
    return binary;
  }
  const partial = `${dir}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  const result = spawnSync('go', ['build', '-o', join(partial, 'k8s-validate'), '.'], {
    cwd: VALIDATOR_DIR,
    env: { ...source, CGO_ENABLED: '0', GOFLAGS: '-mod=mod -buildvcs=false' },
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (result.error || result.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    const why = result.error
      ? `${result.error.message} (is Go installed? https://go.dev/dl/)`
      : result.stderr;
    throw new Error(`go build of deploy/k8s-validate failed: ${why}`);
  }
  // Renamed into place only once complete, so an interrupted build is never used.
  if (existsSync(binary)) {
    rmSync(partial, { recursive: true, force: true });
  } else {
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  return binary;
}

export interface ManifestReport {
  /** 0 when every object is valid, 1 when any is not. */
  readonly status: number | null;
  readonly objects: readonly {
    readonly apiVersion: string;
    readonly kind: string;
    readonly namespace?: string;
    readonly name: string;
  }[];
  readonly errors: readonly string[];
}

/**
 * Validates a multi-document YAML stream offline against the upstream
 * Kubernetes (and Prometheus Operator) API types, with strict decoding; see
 * deploy/k8s-validate/main.go for what else it checks.
 */
export function validateManifests(yaml: string, args: readonly string[] = []): ManifestReport {
  const result = run(k8sValidateBinary(), args, yaml);
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`k8s-validate exited with ${result.status}: ${result.stderr}`);
  }
  const report = JSON.parse(result.stdout) as Omit<ManifestReport, 'status'>;
  return { status: result.status, ...report };
}
