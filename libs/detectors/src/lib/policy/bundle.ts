import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  PolicyRenderError,
  REGO_RENDER_VERSION,
  type RegoPolicy,
  renderDecisionModule,
  renderRego,
} from './rego';

/** The one root the bundle owns, so an OPA agent can load other bundles beside it. */
export const BUNDLE_ROOT = 'ward';

export interface BundleRequest {
  readonly tenantId: string;
  /** The manifest revision; `bundleRevision(policies)` derives one. */
  readonly revision: string;
  /** The policies to enforce (the active ones): all of `tenantId`. */
  readonly policies: readonly RegoPolicy[];
}

/**
 * A revision that changes exactly when the set of policies, one of their
 * versions or the rendering changes.
 */
export function bundleRevision(
  policies: readonly Pick<RegoPolicy, 'policyId' | 'version'>[],
): string {
  const lines = policies.map((p) => `${p.policyId}:${p.version}`).sort();
  return createHash('sha256')
    .update([`ward-rego/${REGO_RENDER_VERSION}`, ...lines].join('\n'))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The tenant's policies as an OPA bundle (gzipped tar): `.manifest`,
 * `data.json` (`data.ward.meta`), `ward/decision.rego` and one
 * `ward/policies/<policyId>.rego` per policy. The same request gives the same
 * bytes (sorted entries, fixed times, no gzip timestamp), so their sha256 can
 * serve as an ETag.
 */
export function buildBundle({ tenantId, revision, policies }: BundleRequest): Buffer {
  const sorted = [...policies].sort((a, b) =>
    a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0,
  );
  for (const [index, p] of sorted.entries()) {
    if (p.tenantId !== tenantId) {
      throw new PolicyRenderError(
        'invalid_bundle',
        `policy ${p.policyId} belongs to another tenant than ${tenantId}`,
      );
    }
    if (index > 0 && sorted[index - 1]!.policyId === p.policyId) {
      throw new PolicyRenderError('invalid_bundle', `policy ${p.policyId} appears twice`);
    }
  }
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const files: [string, string][] = [
    ['.manifest', json({ revision, roots: [BUNDLE_ROOT], rego_version: 1 })],
    [
      'data.json',
      json({
        [BUNDLE_ROOT]: {
          meta: { tenant: tenantId, revision, policies: sorted.map((p) => p.policyId) },
        },
      }),
    ],
    [`${BUNDLE_ROOT}/decision.rego`, renderDecisionModule()],
    ...sorted.map((p): [string, string] => [
      `${BUNDLE_ROOT}/policies/${p.policyId}.rego`,
      renderRego(p),
    ]),
  ];
  return gzipDeterministic(tar(files.map(([name, text]) => [name, Buffer.from(text, 'utf8')])));
}

const BLOCK = 512;
/** Every entry's mtime: the content alone decides the bytes. */
const FIXED_MTIME = 0;

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  // length - 1 zero-padded octal digits and a NUL, as ustar wants.
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

/** A POSIX ustar archive of regular files (names of at most 100 ASCII characters). */
function tar(files: readonly (readonly [string, Buffer])[]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, body] of files) {
    if (!/^[\x21-\x7e]{1,100}$/.test(name)) {
      throw new PolicyRenderError('invalid_bundle', `tar entry name ${JSON.stringify(name)}`);
    }
    const header = Buffer.alloc(BLOCK, 0);
    header.write(name, 0, 100, 'ascii');
    writeOctal(header, 100, 8, 0o644);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, body.length);
    writeOctal(header, 136, 12, FIXED_MTIME);
    header.write('0', 156, 1, 'ascii');
    header.write('ustar\u000000', 257, 8, 'ascii');
    header.write('ward', 265, 32, 'ascii');
    header.write('ward', 297, 32, 'ascii');
    // The checksum is computed with its own field read as eight spaces.
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) {
      sum += byte;
    }
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    blocks.push(header, body);
    const padding = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (padding > 0) {
      blocks.push(Buffer.alloc(padding, 0));
    }
  }
  blocks.push(Buffer.alloc(2 * BLOCK, 0));
  return Buffer.concat(blocks);
}

/** Offset of the OS byte in the gzip header (RFC 1952); zlib sets it by platform. */
const GZIP_OS = 9;
const GZIP_OS_UNKNOWN = 0xff;

function gzipDeterministic(data: Buffer): Buffer {
  // zlib leaves the header's MTIME at zero; only the OS byte varies by platform.
  const gz = gzipSync(data, { level: 9 });
  gz[GZIP_OS] = GZIP_OS_UNKNOWN;
  return gz;
}
