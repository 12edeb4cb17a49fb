import { MAX_FINDINGS, visitStrings } from './walk';

export const INJECTION_MARKERS = [
  'imperative_command',
  'authority_claim',
  'permission_expansion',
  'role_reassignment',
  'encoded_payload',
  'structured_escalation',
  'urgency_framing',
] as const;
export type InjectionMarker = (typeof INJECTION_MARKERS)[number];

export interface InjectionFinding {
  readonly marker: InjectionMarker;
  readonly path: string;
  /** Offsets in the NFKC-normalized string with hidden characters removed. */
  readonly start: number;
  readonly end: number;
  readonly weight: number;
}

export interface InjectionScan {
  /** 0..1: 1 - Π(1 - strongest weight of each distinct marker). */
  readonly score: number;
  readonly findings: InjectionFinding[];
}

interface Rule {
  readonly marker: InjectionMarker;
  readonly regex: RegExp;
  readonly weight: number;
}

const W = '\\s{1,5}';
// Linear patterns only: alternations of literals, bounded gaps.
const RULES: readonly Rule[] = [
  {
    marker: 'imperative_command',
    regex: new RegExp(
      `\\b(?:ignore|disregard|forget|override|bypass)${W}(?:all${W}|any${W}|the${W}|your${W}|of${W}|everything${W})*(?:previous|prior|above|earlier|preceding|system|original)${W}(?:instructions?|prompts?|rules|directions|directives|guidelines|messages?|context)\\b`,
      'gi',
    ),
    weight: 0.7,
  },
  {
    marker: 'imperative_command',
    regex: new RegExp(
      `\\b(?:do${W}not|don't|never)${W}(?:tell|inform|alert|notify|mention${W}(?:this${W})?to)${W}the${W}user\\b`,
      'gi',
    ),
    weight: 0.6,
  },
  {
    marker: 'imperative_command',
    regex: new RegExp(`\\byou${W}must${W}(?:now|immediately)\\b`, 'gi'),
    weight: 0.35,
  },
  {
    marker: 'authority_claim',
    regex:
      /(?:^|\n)[ \t]{0,8}(?:system|developer|admin(?:istrator)?|root)[ \t]{0,4}(?:message|override|prompt)?[ \t]{0,4}:/gi,
    weight: 0.45,
  },
  {
    marker: 'authority_claim',
    regex: new RegExp(
      `\\b(?:message|instructions?|note|directive)${W}from${W}(?:openai|anthropic|the${W}developers?|the${W}system${W}administrator|your${W}(?:creator|developer|administrator|operator))\\b`,
      'gi',
    ),
    weight: 0.55,
  },
  {
    marker: 'authority_claim',
    regex: new RegExp(
      `\\bas${W}your${W}(?:administrator|developer|creator|owner|operator)\\b`,
      'gi',
    ),
    weight: 0.55,
  },
  {
    marker: 'authority_claim',
    regex: new RegExp(
      `\\b(?:developer|debug|god|admin)${W}mode${W}(?:enabled|activated|on)\\b`,
      'gi',
    ),
    weight: 0.5,
  },
  {
    marker: 'permission_expansion',
    regex: new RegExp(
      `\\byou${W}(?:are|have${W}been)${W}(?:now${W})?(?:allowed|authori[sz]ed|permitted|granted|cleared)${W}to\\b`,
      'gi',
    ),
    weight: 0.55,
  },
  {
    marker: 'permission_expansion',
    regex: new RegExp(
      `\\b(?:grant|give)${W}(?:yourself|you)${W}(?:full${W}|admin${W}|root${W}|unrestricted${W})?(?:access|permissions?|privileges)\\b`,
      'gi',
    ),
    weight: 0.55,
  },
  {
    marker: 'permission_expansion',
    regex: new RegExp(
      `\\b(?:bypass|disable|ignore|turn${W}off)${W}(?:all${W}|any${W}|your${W})?(?:restrictions|safety|safeguards|filters|guardrails|security${W}checks|content${W}policy)\\b`,
      'gi',
    ),
    weight: 0.55,
  },
  {
    marker: 'role_reassignment',
    regex: new RegExp(
      `\\byou${W}are${W}(?:now${W})?(?:DAN|an?${W}unrestricted|no${W}longer${W}(?:an?${W})?(?:AI|assistant|bound))\\b`,
      'gi',
    ),
    weight: 0.6,
  },
  {
    marker: 'role_reassignment',
    regex: new RegExp(`\\bfrom${W}now${W}on,?${W}you${W}(?:are|will${W}be|will${W}act)\\b`, 'gi'),
    weight: 0.5,
  },
  {
    marker: 'role_reassignment',
    regex: new RegExp(
      `\\b(?:new|updated|your${W}real)${W}(?:persona|role|identity)${W}(?:is|:)`,
      'gi',
    ),
    weight: 0.45,
  },
  {
    marker: 'role_reassignment',
    regex: new RegExp(
      `\\b(?:act|behave)${W}as${W}(?:an?${W})?(?:unrestricted|jailbroken|unfiltered|evil)\\b`,
      'gi',
    ),
    weight: 0.6,
  },
  {
    marker: 'structured_escalation',
    regex:
      /<\|im_start\|>[ \t]{0,4}system|\[INST\]|<<SYS>>|<\/?system>|###[ \t]{0,4}(?:instruction|system)\b|"role"[ \t]{0,4}:[ \t]{0,4}"system"/gi,
    weight: 0.6,
  },
  {
    marker: 'urgency_framing',
    regex: new RegExp(
      `\\b(?:urgent(?:ly)?|immediately|right${W}now|asap|before${W}it'?s${W}too${W}late|time[- ]sensitive|critical${W}priority)\\b`,
      'gi',
    ),
    weight: 0.15,
  },
];

const HIDDEN = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;
const BASE64_BLOB = /[A-Za-z0-9+/]{40,4096}={0,2}/g;
const INSTRUCTION_WORDS =
  /\b(?:ignore|instructions?|system|execute|run|password|exfiltrate|send|curl|token)\b/i;

function decodedInstruction(blob: string): boolean {
  try {
    const text = Buffer.from(blob, 'base64').toString('utf8');
    let printable = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) {
        printable++;
      }
    }
    return text.length > 0 && printable / text.length > 0.9 && INSTRUCTION_WORDS.test(text);
  } catch {
    return false;
  }
}

/**
 * Prompt-injection markers in tool results: text that talks to the model
 * rather than to the user. Score combines distinct markers, so one weak cue
 * (a lone "urgent") stays low and several strong ones approach 1.
 */
export function scanInjection(value: unknown, root = ''): InjectionScan {
  const findings: InjectionFinding[] = [];
  try {
    visitStrings(value, root, ({ path, text }) => {
      scanText(text, path, findings);
      return findings.length < MAX_FINDINGS;
    });
  } catch {
    // Never let a scan fail the intake; keep what was found.
  }
  const strongest = new Map<InjectionMarker, number>();
  for (const f of findings) {
    strongest.set(f.marker, Math.max(strongest.get(f.marker) ?? 0, f.weight));
  }
  let keep = 1;
  for (const weight of strongest.values()) {
    keep *= 1 - weight;
  }
  return { score: Math.round((1 - keep) * 1000) / 1000, findings: findings.slice(0, MAX_FINDINGS) };
}

function scanText(raw: string, path: string, findings: InjectionFinding[]): void {
  if (raw.length < 6) {
    return;
  }
  HIDDEN.lastIndex = 0;
  const hidden = HIDDEN.exec(raw);
  if (hidden) {
    findings.push({
      marker: 'encoded_payload',
      path,
      start: hidden.index,
      end: hidden.index + 1,
      weight: 0.5,
    });
  }
  const text = raw.normalize('NFKC').replace(HIDDEN, '');
  for (const rule of RULES) {
    rule.regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = rule.regex.exec(text)) !== null && findings.length < MAX_FINDINGS) {
      findings.push({
        marker: rule.marker,
        path,
        start: match.index,
        end: match.index + match[0].length,
        weight: rule.weight,
      });
      if (match[0].length === 0) {
        rule.regex.lastIndex += 1;
      }
    }
  }
  if (text.length >= 40) {
    BASE64_BLOB.lastIndex = 0;
    let blob: RegExpExecArray | null;
    while ((blob = BASE64_BLOB.exec(text)) !== null && findings.length < MAX_FINDINGS) {
      if (decodedInstruction(blob[0])) {
        findings.push({
          marker: 'encoded_payload',
          path,
          start: blob.index,
          end: blob.index + blob[0].length,
          weight: 0.6,
        });
      }
    }
  }
}

/** Markers too weak on their own to deny a call on. */
const WEAK_MARKERS: ReadonlySet<InjectionMarker> = new Set(['urgency_framing']);

/**
 * The injection rules as portable regular expressions for policies (the
 * syntax RE2, OPA's engine, shares with JavaScript; `\s` spelled out, since
 * RE2's covers ASCII only): those of the given markers, or every strong one.
 * Matched case-insensitively by both evaluators.
 */
export function injectionPatternSources(markers?: readonly string[]): string[] {
  const wanted = RULES.filter(
    (r) => !WEAK_MARKERS.has(r.marker) && (markers === undefined || markers.includes(r.marker)),
  );
  const rules = wanted.length > 0 ? wanted : RULES.filter((r) => !WEAK_MARKERS.has(r.marker));
  return rules.map((r) => r.regex.source.replace(/\\s/g, '[ \\t\\n\\f\\r]'));
}
