import { createHash } from 'node:crypto';
import { ibanValid, knownCardIssuer, luhnValid, ninoPrefixValid, ssnValid } from './checksums';
import { MAX_FINDINGS, visitStrings } from './walk';

export const SENSITIVE_KINDS = {
  aws_access_key_id: 'secret',
  aws_secret_access_key: 'secret',
  gcp_api_key: 'secret',
  azure_storage_key: 'secret',
  github_token: 'secret',
  gitlab_token: 'secret',
  slack_token: 'secret',
  slack_webhook: 'secret',
  stripe_key: 'secret',
  openai_key: 'secret',
  anthropic_key: 'secret',
  private_key: 'secret',
  jwt: 'secret',
  bearer_token: 'secret',
  url_password: 'secret',
  password_field: 'secret',
  credit_card: 'pii',
  iban: 'pii',
  us_ssn: 'pii',
  uk_nino: 'pii',
  email: 'pii',
} as const;

export type SensitiveKind = keyof typeof SENSITIVE_KINDS;
export type SensitiveCategory = (typeof SENSITIVE_KINDS)[SensitiveKind];

export interface SensitiveFinding {
  readonly kind: SensitiveKind;
  readonly category: SensitiveCategory;
  /** JSON pointer of the string that holds it, e.g. /parameters/headers/authorization. */
  readonly path: string;
  /** Character offsets inside that string. */
  readonly start: number;
  readonly end: number;
  /** First 16 hex characters of the value's SHA-256: correlates one secret across events without keeping it. */
  readonly fingerprint: string;
}

interface Pattern {
  readonly kind: SensitiveKind;
  readonly regex: RegExp;
  /** Cheap substring test that must pass before the regex runs. */
  readonly hint?: (text: string) => boolean;
  /** Which capture group is the secret (default the whole match). */
  readonly group?: number;
  readonly accept?: (match: RegExpExecArray, value: string) => boolean;
}

const has = (needle: string) => (text: string) => text.includes(needle);
const hasCi = (needle: string) => (text: string) => text.toLowerCase().includes(needle);
const hasDigits = (n: number) => (text: string) => {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run >= n) {
        return true;
      }
    } else if (c !== 32 && c !== 45) {
      run = 0;
    }
  }
  return false;
};

function jwtHeaderOk(token: string): boolean {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
    );
    return (
      header !== null &&
      typeof header === 'object' &&
      typeof (header as Record<string, unknown>).alg === 'string'
    );
  } catch {
    return false;
  }
}

const PLACEHOLDER =
  /^(?:\*+|x+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|changeme|password|secret|redacted|\[redacted[^\]]*\]|null|none|undefined|example)$/i;

// Every regex is linear: bounded repetitions, no nested quantifiers.
const PATTERNS: readonly Pattern[] = [
  {
    kind: 'private_key',
    regex: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g,
    hint: has('PRIVATE KEY'),
  },
  {
    kind: 'aws_access_key_id',
    regex: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g,
    hint: (t) => /A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)/.test(t),
  },
  {
    kind: 'aws_secret_access_key',
    regex: /aws.{0,20}?(?:secret|private).{0,20}?[=:"'\s]([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    hint: hasCi('aws'),
    group: 1,
  },
  { kind: 'gcp_api_key', regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, hint: has('AIza') },
  {
    kind: 'azure_storage_key',
    regex: /AccountKey=([A-Za-z0-9+/]{86}==)/g,
    hint: has('AccountKey='),
    group: 1,
  },
  {
    kind: 'github_token',
    regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g,
    hint: (t) => /gh[pousr]_|github_pat_/.test(t),
  },
  {
    kind: 'gitlab_token',
    regex: /\bglpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])/g,
    hint: has('glpat-'),
  },
  {
    kind: 'slack_webhook',
    regex:
      /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{16,32}/g,
    hint: has('hooks.slack.com'),
  },
  {
    kind: 'slack_token',
    regex: /\bxox[abprs]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g,
    hint: has('xox'),
  },
  {
    kind: 'stripe_key',
    regex: /\b[sr]k_live_[A-Za-z0-9]{16,99}(?![A-Za-z0-9])/g,
    hint: has('k_live_'),
  },
  {
    kind: 'anthropic_key',
    regex: /\bsk-ant-[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    hint: has('sk-ant-'),
  },
  {
    kind: 'openai_key',
    regex: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    hint: has('sk-'),
    accept: (_m, value) =>
      !value.startsWith('sk-ant-') && /[A-Z]/.test(value) && /[0-9]/.test(value),
  },
  {
    kind: 'jwt',
    regex: /\beyJ[A-Za-z0-9_-]{8,2048}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,2048}/g,
    hint: has('eyJ'),
    accept: (_m, value) => jwtHeaderOk(value),
  },
  {
    kind: 'bearer_token',
    regex: /\bBearer\s{1,4}([A-Za-z0-9._~+/-]{20,2048}=*)/g,
    hint: has('Bearer'),
    group: 1,
    accept: (_m, value) => !value.startsWith('eyJ') && !PLACEHOLDER.test(value),
  },
  {
    kind: 'url_password',
    regex: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/]{1,128}:([^\s@/]{1,256})@/gi,
    hint: has('://'),
    group: 1,
    accept: (_m, value) => !PLACEHOLDER.test(value),
  },
  {
    kind: 'credit_card',
    regex: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    hint: hasDigits(13),
    accept: (_m, value) => {
      const digits = value.replace(/[ -]/g, '');
      return luhnValid(digits) && knownCardIssuer(digits) && !/^(\d)\1+$/.test(digits);
    },
  },
  {
    kind: 'iban',
    regex: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g,
    hint: (t) => /[A-Z]{2}\d{2}/.test(t),
    accept: (_m, value) => ibanValid(value.replace(/ /g, '')),
  },
  {
    kind: 'us_ssn',
    regex: /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g,
    hint: has('-'),
    accept: (m) => ssnValid(m[1] ?? '', m[2] ?? '', m[3] ?? ''),
  },
  {
    kind: 'uk_nino',
    regex: /\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
    hint: (t) => /\d{2} ?\d{2} ?\d{2}/.test(t),
    accept: (m) => ninoPrefixValid(m[1] ?? ''),
  },
  {
    kind: 'email',
    regex:
      /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g,
    hint: has('@'),
  },
];

const SECRET_KEY_NAME =
  /^(?:pass(?:word)?|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|refresh[_-]?token|private[_-]?key|secret[_-]?key|x-api-key)$/i;

export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/**
 * Secrets and personal data in any JSON value (parameters, results). Findings
 * say what, where and a fingerprint, never the value. Bounded in depth and
 * characters; never throws.
 */
export function scanSensitive(value: unknown, root = ''): SensitiveFinding[] {
  const findings: SensitiveFinding[] = [];
  try {
    visitStrings(value, root, ({ path, key, text }) => {
      scanString(text, path, key, findings);
      return findings.length < MAX_FINDINGS;
    });
  } catch {
    // A scan must never take the intake down; what was found so far stands.
  }
  return findings.slice(0, MAX_FINDINGS);
}

function scanString(
  text: string,
  path: string,
  key: string | undefined,
  findings: SensitiveFinding[],
): void {
  const taken: [number, number][] = [];
  const overlaps = (s: number, e: number) => taken.some(([a, b]) => s < b && e > a);
  const push = (kind: SensitiveKind, start: number, end: number) => {
    if (overlaps(start, end) || findings.length >= MAX_FINDINGS) {
      return;
    }
    taken.push([start, end]);
    findings.push({
      kind,
      category: SENSITIVE_KINDS[kind],
      path,
      start,
      end,
      fingerprint: fingerprint(text.slice(start, end)),
    });
  };
  for (const pattern of PATTERNS) {
    if (pattern.hint && !pattern.hint(text)) {
      continue;
    }
    pattern.regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.regex.exec(text)) !== null) {
      const whole = match[0];
      const captured = pattern.group === undefined ? whole : (match[pattern.group] ?? whole);
      const start = match.index + (pattern.group === undefined ? 0 : whole.indexOf(captured));
      if (!pattern.accept || pattern.accept(match, captured)) {
        push(pattern.kind, start, start + captured.length);
      }
      if (match[0].length === 0) {
        pattern.regex.lastIndex += 1;
      }
    }
  }
  if (key !== undefined && SECRET_KEY_NAME.test(key) && taken.length === 0) {
    const trimmed = text.trim();
    if (trimmed.length >= 8 && !PLACEHOLDER.test(trimmed) && !trimmed.startsWith('[REDACTED')) {
      push('password_field', 0, text.length);
    }
  }
}

/** A deep copy with every finding's characters replaced by `[REDACTED:<kind>]`. */
export function redactSensitive<T>(value: T, findings: readonly SensitiveFinding[], root = ''): T {
  if (findings.length === 0) {
    return value;
  }
  const byPath = new Map<string, SensitiveFinding[]>();
  for (const f of findings) {
    const list = byPath.get(f.path) ?? [];
    list.push(f);
    byPath.set(f.path, list);
  }
  const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
  const copy = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') {
      const hits = byPath.get(path);
      if (!hits) {
        return node;
      }
      let out = node;
      for (const hit of [...hits].sort((a, b) => b.start - a.start)) {
        out = `${out.slice(0, hit.start)}[REDACTED:${hit.kind}]${out.slice(hit.end)}`;
      }
      return out;
    }
    if (Array.isArray(node)) {
      return node.map((item, i) => copy(item, `${path}/${i}`));
    }
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(node)) {
        Object.defineProperty(out, k, {
          value: copy((node as Record<string, unknown>)[k], `${path}/${escape(k)}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  return copy(value, root) as T;
}
