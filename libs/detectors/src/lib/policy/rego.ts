import { type Policy, type PolicyKind, type PolicyRule } from '@ward/contracts';

/** What a policy needs to render as Rego. */
export type RegoPolicy = Pick<
  Policy,
  'policyId' | 'version' | 'tenantId' | 'kind' | 'title' | 'rule' | 'confidence' | 'status'
>;

export const POLICY_RENDER_ERROR_CODES = [
  'invalid_policy',
  'unportable_pattern',
  'invalid_bundle',
] as const;
export type PolicyRenderErrorCode = (typeof POLICY_RENDER_ERROR_CODES)[number];

/** A policy or bundle that cannot be rendered faithfully; never retried, the input must change. */
export class PolicyRenderError extends Error {
  constructor(
    readonly code: PolicyRenderErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PolicyRenderError';
  }
}

/** Bumped whenever rendering changes, so bundle revisions change with it. */
export const REGO_RENDER_VERSION = 1;

/** Rego packages of the policies sit under this one; the decision module collects them. */
export const POLICY_PACKAGE_PREFIX = 'ward.policies.p_';
export const DECISION_PACKAGE = 'ward.decision';
/** What an enforcement point queries: "allow" | "escalate" | "deny". */
export const DECISION_QUERY = 'data.ward.decision.decision';

const POLICY_ID = /^[a-f0-9]{32}$/;

interface KindTemplate {
  /** Header comment: what the policy stops and why that pattern warrants it. */
  readonly header: readonly string[];
  /** Name of the rule that holds when every condition does. */
  readonly rule: string;
  readonly message: string;
}

const KIND_TEMPLATES: Readonly<Record<PolicyKind, KindTemplate>> = {
  injection_block: {
    header: [
      'Injection block: stops calls whose parameters or results carry text matching',
      'prompt-injection patterns (instructions to ignore prior rules, authority claims,',
      'permission grants). Such text was seen steering the agent; letting the call run',
      'would hand the injected instruction to a tool or back to the model.',
    ],
    rule: 'injected_instruction',
    message: 'call carries text matching a prompt-injection pattern',
  },
  conditioning_block: {
    header: [
      'Conditioning block: stops (or escalates) calls of an agent whose sessions are being',
      'cycled or flooded to wear its guardrails down, when they come from the requesters',
      'or go to the tools seen doing it. Conditioning works by repetition, so the',
      'calls are cut off rather than judged one by one.',
    ],
    rule: 'conditioning_attempt',
    message: 'call continues a pattern of session conditioning',
  },
  drift_escalation: {
    header: [
      'Drift escalation: sends calls of an agent whose behavior drifted from its baseline',
      '(call rate, tool mix, entropy, errors) to a person before they run. Drift alone',
      'is not proof of compromise, so the call is escalated rather than denied.',
    ],
    rule: 'drifted_agent_call',
    message: 'agent has drifted from its baseline; a person must confirm the call',
  },
  resource_restriction: {
    header: [
      'Resource restriction: denies an agent resources it reached anomalously (new,',
      'sensitive data, secrets, unusual bytes out). Entries ending in * cover every',
      'resource that starts with the rest.',
    ],
    rule: 'restricted_resource',
    message: 'resource is restricted for this agent',
  },
  rate_ceiling: {
    header: [
      'Rate ceiling: denies calls once the agent exceeds a calls-per-minute ceiling set',
      'above its baseline. A burst past it is how runaway loops and scripted abuse look;',
      'the enforcement point counts the calls and sends context.callsPerMinute.',
    ],
    rule: 'over_rate_ceiling',
    message: 'agent exceeds its calls-per-minute ceiling',
  },
  requester_validation: {
    header: [
      'Requester validation: escalates calls made on behalf of a requester whose requests',
      'were linked to attacks, so a person confirms who is asking before the call runs.',
    ],
    rule: 'unvalidated_requester',
    message: 'requester must be validated before the call runs',
  },
  behavior_reversal: {
    header: [
      'Behavior reversal: denies (or escalates) the tools of an agent that abruptly',
      'reversed its established behavior, a sign that something else now drives it.',
    ],
    rule: 'reversed_agent_call',
    message: 'agent reversed its established behavior',
  },
  indicator_block: {
    header: [
      'Indicator block: denies calls that touch a known-bad indicator (IP, domain and its',
      'subdomains, URL or file hash) from threat intelligence or earlier incidents.',
      'Domains and hashes compare case-insensitively.',
    ],
    rule: 'known_indicator',
    message: 'call touches a known malicious indicator',
  },
  tool_deny: {
    header: [
      'Tool deny: denies an agent tools it should not use (newly adopted, unusually many,',
      'or repeatedly refused), so a compromised agent cannot widen what it can do.',
    ],
    rule: 'denied_tool',
    message: 'tool is denied to this agent',
  },
};

/**
 * A Rego string literal for any string: Rego strings take JSON escapes, and
 * escaping everything outside printable ASCII keeps modules plain ASCII, so
 * no value can end the literal or the line it sits on.
 */
export function regoString(value: string): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function regoNumber(value: number, what: string): string {
  if (!Number.isFinite(value)) {
    throw new PolicyRenderError('invalid_policy', `${what} must be a finite number`);
  }
  return JSON.stringify(value);
}

/** Sorted, without duplicates: the same rule always renders the same module. */
const canonical = (values: readonly string[]) => [...new Set(values)].sort();

const regoSet = (values: readonly string[]) => `{${canonical(values).map(regoString).join(', ')}}`;
const regoArray = (values: readonly string[]) =>
  `[${canonical(values).map(regoString).join(', ')}]`;

/** JavaScript's `\s` (WhiteSpace and LineTerminator); RE2's covers ASCII only. */
const JS_SPACE =
  '\\t\\n\\v\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}';
/** JavaScript's `.` without the s flag stops at every line terminator, RE2's only at \n. */
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
const RE2_MAX_REPEAT = 1000;

const hex = (code: number) => `\\x{${code.toString(16)}}`;
const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * A JavaScript regular expression source (as `new RegExp(source, 'i')` reads
 * it) rewritten for RE2, OPA's engine, so both match the same strings: `\s`,
 * `\S` and `.` spelled out with JavaScript's meaning, `\uXXXX` as `\x{...}`,
 * named groups as `(?P<name>...)`. Constructs RE2 lacks or reads differently
 * (lookaround, backreferences, `\p`, octal and identity escapes of letters)
 * throw: a pattern must not silently stop matching in OPA.
 */
export function re2Pattern(source: string): string {
  const fail = (what: string): never => {
    throw new PolicyRenderError(
      'unportable_pattern',
      `pattern ${JSON.stringify(source)} has ${what}, which RE2 (OPA) does not read as JavaScript does`,
    );
  };
  let i = 0;

  // The RE2 form of the escape at i (a backslash) and whether it is a class like \d.
  const escape = (inClass: boolean): { text: string; isClass: boolean } => {
    const c = source[i + 1];
    if (c === undefined) {
      return fail('a trailing backslash');
    }
    i += 2;
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        return { text: `\\${c}`, isClass: true };
      case 's':
        return { text: inClass ? JS_SPACE : `[${JS_SPACE}]`, isClass: true };
      case 'S':
        return inClass
          ? fail('\\S inside a character class')
          : { text: `[^${JS_SPACE}]`, isClass: true };
      case 'b':
        return { text: inClass ? '\\x{8}' : '\\b', isClass: false };
      case 'B':
        return inClass ? fail('\\B inside a character class') : { text: '\\B', isClass: false };
      case 't':
      case 'n':
      case 'r':
      case 'f':
      case 'v':
        return { text: `\\${c}`, isClass: false };
      case '0':
        return /[0-9]/.test(source[i] ?? '')
          ? fail('an octal escape')
          : { text: '\\x{0}', isClass: false };
      case 'x': {
        const digits = /^[0-9a-fA-F]{2}/.exec(source.slice(i));
        if (!digits) {
          return fail('\\x without two hex digits');
        }
        i += 2;
        return { text: hex(parseInt(digits[0], 16)), isClass: false };
      }
      case 'u': {
        const unit = (at: number) => {
          const m = /^[0-9a-fA-F]{4}/.exec(source.slice(at));
          return m ? parseInt(m[0], 16) : undefined;
        };
        const code = unit(i);
        if (code === undefined) {
          return fail('\\u without four hex digits');
        }
        i += 4;
        if (isHigh(code) && source.startsWith('\\u', i)) {
          const low = unit(i + 2);
          if (low !== undefined && isLow(low) && !inClass) {
            i += 6;
            return {
              text: hex(0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)),
              isClass: false,
            };
          }
        }
        return isHigh(code) || isLow(code)
          ? fail('a lone surrogate escape')
          : { text: hex(code), isClass: false };
      }
      case 'c': {
        const letter = source[i];
        if (letter === undefined || !/[A-Za-z]/.test(letter)) {
          return fail('\\c without a letter');
        }
        i += 1;
        return { text: hex(letter.charCodeAt(0) % 32), isClass: false };
      }
      default: {
        const code = c.charCodeAt(0);
        if (/[A-Za-z0-9]/.test(c)) {
          return fail(`the escape \\${c}`);
        }
        if (isHigh(code) || isLow(code)) {
          return fail('an escaped astral character');
        }
        // An escaped punctuation mark is itself in both; anything else is written out.
        return { text: code < 0x80 ? `\\${c}` : hex(code), isClass: false };
      }
    }
  };

  const characterClass = (): string => {
    i += 1;
    let out = '[';
    if (source[i] === '^') {
      out += '^';
      i += 1;
    }
    if (source[i] === ']') {
      // JavaScript's [] matches nothing and [^] anything; RE2 would read the ] as a member.
      i += 1;
      return out === '[' ? '[^\\x{0}-\\x{10ffff}]' : '[\\x{0}-\\x{10ffff}]';
    }
    // A dash after a single character opens a range; RE2 and JavaScript agree on
    // dashes next to class escapes (literal) once the dash is escaped.
    const dashOpensRange = () =>
      source[i] === '-' && source[i + 1] !== ']' && source[i + 1] !== undefined;
    let rangeOpen = false;
    for (;;) {
      const c = source[i];
      if (c === undefined) {
        return fail('an unterminated character class');
      }
      if (c === ']') {
        i += 1;
        return `${out}]`;
      }
      if (c === '\\') {
        const { text, isClass } = escape(true);
        if (isClass) {
          if (rangeOpen) {
            return fail('a range ending in a class escape');
          }
          out += text;
          if (dashOpensRange()) {
            out += '\\-';
            i += 1;
          }
          continue;
        }
        out += text;
      } else {
        const code = c.charCodeAt(0);
        if (isHigh(code) || isLow(code)) {
          return fail('an astral character in a class (JavaScript sees two code units)');
        }
        // A [ is a literal in JavaScript classes; RE2 may read [: as a POSIX class.
        out += c === '[' ? '\\[' : c;
        i += 1;
      }
      if (rangeOpen) {
        rangeOpen = false;
      } else if (dashOpensRange()) {
        out += '-';
        i += 1;
        rangeOpen = true;
      }
    }
  };

  let out = '';
  while (i < source.length) {
    const c = source[i]!;
    const code = c.charCodeAt(0);
    if (c === '\\') {
      out += escape(false).text;
    } else if (c === '[') {
      out += characterClass();
    } else if (c === '.') {
      out += JS_DOT;
      i += 1;
    } else if (c === '(' && source[i + 1] === '?') {
      const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(source.slice(i));
      if (source.startsWith('(?:', i)) {
        out += '(?:';
        i += 3;
      } else if (named) {
        out += `(?P<${named[1]}>`;
        i += named[0].length;
      } else {
        return fail('a lookaround or inline flags');
      }
    } else if (c === '{') {
      const repeat = /^\{(\d+)(?:,(\d*))?\}/.exec(source.slice(i));
      if (repeat && repeat.slice(1).some((n) => n !== undefined && Number(n) > RE2_MAX_REPEAT)) {
        return fail(`a repeat count over ${RE2_MAX_REPEAT}`);
      }
      out += c;
      i += 1;
    } else if (isHigh(code) && /^[*+?{]/.test(source.slice(i + 2))) {
      return fail('a quantified astral character (JavaScript repeats only its second half)');
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** The Rego rule (name and definitions) for each condition present in the JSON rule. */
function conditionRules(when: PolicyRule['when']): { name: string; rules: string[] }[] {
  const out: { name: string; rules: string[] }[] = [];
  const add = (name: string, ...rules: string[]) =>
    out.push({ name, rules: [`default ${name} := false`, ...rules] });
  if (when.agents) {
    add(
      'agent_listed',
      `agents := ${regoSet(when.agents)}`,
      'agent_listed if input.event.agentId in agents',
    );
  }
  if (when.tools) {
    add(
      'tool_listed',
      `tools := ${regoSet(when.tools)}`,
      'tool_listed if input.event.action in tools',
    );
  }
  if (when.resources) {
    const exact = when.resources.filter((r) => !r.endsWith('*'));
    const prefixes = when.resources.filter((r) => r.endsWith('*')).map((r) => r.slice(0, -1));
    const rules: string[] = [];
    if (exact.length > 0) {
      rules.push(
        `resources := ${regoSet(exact)}`,
        'resource_listed if input.event.resource in resources',
      );
    }
    if (prefixes.length > 0) {
      rules.push(
        `# Entries ending in * match every resource that starts with the rest.\nresource_prefixes := ${regoArray(prefixes)}`,
        [
          'resource_listed if {',
          '\tsome prefix in resource_prefixes',
          '\tstartswith(input.event.resource, prefix)',
          '}',
        ].join('\n'),
      );
    }
    add('resource_listed', ...rules);
  }
  if (when.requesters) {
    add(
      'requester_listed',
      `requesters := ${regoSet(when.requesters)}`,
      'requester_listed if input.event.requesterId in requesters',
    );
  }
  if (when.indicators) {
    const of = (type: string, lower: boolean) =>
      when
        .indicators!.filter((x) => x.type === type)
        .map((x) => (lower ? x.value.toLowerCase() : x.value));
    const seen = (set: string, field: string, value: string) =>
      [
        'indicator_seen if {',
        `\tsome seen in input.event.iocs.${field}`,
        `\t${value} in ${set}`,
        '}',
      ].join('\n');
    const rules: string[] = [];
    const ips = of('ip', false);
    const urls = of('url', false);
    const domains = of('domain', true);
    const hashes = of('hash', true);
    if (ips.length > 0) {
      rules.push(`indicator_ips := ${regoSet(ips)}`, seen('indicator_ips', 'ips', 'seen'));
    }
    if (urls.length > 0) {
      rules.push(`indicator_urls := ${regoSet(urls)}`, seen('indicator_urls', 'urls', 'seen'));
    }
    if (domains.length > 0) {
      rules.push(
        `# Domains compare case-insensitively and cover their subdomains.\nindicator_domains := ${regoSet(domains)}`,
        seen('indicator_domains', 'domains', 'lower(seen)'),
        `indicator_domain_suffixes := ${regoArray(domains.map((d) => `.${d}`))}`,
        [
          'indicator_seen if {',
          '\tsome seen in input.event.iocs.domains',
          '\tsome suffix in indicator_domain_suffixes',
          '\tendswith(lower(seen), suffix)',
          '}',
        ].join('\n'),
      );
    }
    if (hashes.length > 0) {
      rules.push(
        `indicator_hashes := ${regoSet(hashes)}`,
        seen('indicator_hashes', 'hashes', 'lower(seen)'),
      );
    }
    add('indicator_seen', ...rules);
  }
  if (when.instructionHashes) {
    add(
      'instruction_listed',
      `instruction_hashes := ${regoSet(when.instructionHashes)}`,
      'instruction_listed if input.event.instructionHash in instruction_hashes',
    );
  }
  if (when.textPatterns) {
    add(
      'text_matched',
      `# JavaScript patterns rewritten for RE2, matched case-insensitively.\ntext_patterns := ${regoArray(when.textPatterns.map((p) => `(?i)${re2Pattern(p)}`))}`,
      [
        "# Every string anywhere inside the call's parameters and result, however deep.",
        'payload_strings contains text if {',
        '\twalk(input.event.parameters, [_, text])',
        '\tis_string(text)',
        '}',
      ].join('\n'),
      [
        'payload_strings contains text if {',
        '\twalk(input.event.result, [_, text])',
        '\tis_string(text)',
        '}',
      ].join('\n'),
      [
        'text_matched if {',
        '\tsome text in payload_strings',
        '\tsome pattern in text_patterns',
        '\tregex.match(pattern, text)',
        '}',
      ].join('\n'),
    );
  }
  if (when.maxCallsPerMinute !== undefined) {
    add(
      'over_rate',
      `max_calls_per_minute := ${regoNumber(when.maxCallsPerMinute, 'maxCallsPerMinute')}`,
      [
        'over_rate if {',
        '\tis_number(input.context.callsPerMinute)',
        '\tinput.context.callsPerMinute > max_calls_per_minute',
        '}',
      ].join('\n'),
    );
  }
  return out;
}

/**
 * The policy as a Rego module (`import rego.v1`) with the semantics of
 * `compileRule`: package `ward.policies.p_<policyId>`, whose `violation` set
 * holds one entry when every condition of the rule holds. Every value is
 * embedded as a JSON-escaped literal, so no agent id, resource or pattern can
 * change the module's structure.
 */
export function renderRego(p: RegoPolicy): string {
  if (!POLICY_ID.test(p.policyId)) {
    throw new PolicyRenderError('invalid_policy', 'policyId must be 32 lowercase hex characters');
  }
  if (!Number.isSafeInteger(p.version) || p.version < 1) {
    throw new PolicyRenderError('invalid_policy', 'version must be a positive integer');
  }
  const template = KIND_TEMPLATES[p.kind];
  if (template === undefined) {
    throw new PolicyRenderError('invalid_policy', `unknown policy kind ${JSON.stringify(p.kind)}`);
  }
  const effect = p.rule.effect;
  if (effect !== 'deny' && effect !== 'escalate') {
    throw new PolicyRenderError('invalid_policy', `unknown effect ${JSON.stringify(effect)}`);
  }
  const conditions = conditionRules(p.rule.when);
  const violation = [
    ['policy', regoString(p.policyId)],
    ['version', regoNumber(p.version, 'version')],
    ['kind', regoString(p.kind)],
    ['effect', regoString(effect)],
    ['message', regoString(template.message)],
  ];
  const meta = [
    ['policy', regoString(p.policyId)],
    ['version', regoNumber(p.version, 'version')],
    ['tenant', regoString(p.tenantId)],
    ['kind', regoString(p.kind)],
    ['effect', regoString(effect)],
    ['status', regoString(p.status)],
    ['title', regoString(p.title)],
    ['confidence', regoNumber(p.confidence, 'confidence')],
  ];
  const object = (entries: string[][]) =>
    `{\n${entries.map(([k, v]) => `\t${regoString(k!)}: ${v},`).join('\n')}\n}`;
  const body = conditions.length > 0 ? conditions.map((c) => `\t${c.name}`) : ['\ttrue'];
  const parts = [
    [
      ...template.header.map((line) => `# ${line}`),
      '#',
      `# Policy ${p.policyId}, rendered by Ward from its JSON rule.`,
      "# Ward's own evaluator (PolicySet) decides every input the same way.",
      '# Do not edit: change the policy and render it again.',
      `package ${POLICY_PACKAGE_PREFIX}${p.policyId}`,
    ].join('\n'),
    'import rego.v1',
    `meta := ${object(meta)}`,
    `violation contains ${object(violation)} if ${template.rule}`,
    `# Every condition of the rule holds.\n${template.rule} if {\n${body.join('\n')}\n}`,
    ...conditions.flatMap((c) => c.rules),
  ];
  return `${parts.join('\n\n')}\n`;
}

/**
 * The module enforcement points query: package `ward.decision` collects the
 * violations of every policy module in the bundle and decides deny over
 * escalate over allow, as `PolicySet.evaluate` does.
 */
export function renderDecisionModule(): string {
  return `# Ward's decision over every policy in the bundle: deny when a violated policy
# denies, escalate when the violated policies only escalate, allow otherwise.
# Enforcement points query ${DECISION_QUERY}, or data.ward.decision.result for
# the decision with the violations behind it.
package ${DECISION_PACKAGE}

import rego.v1

violations contains violation if {
\tsome violation in data.ward.policies[_].violation
}

default deny := false

deny if {
\tsome violation in violations
\tviolation.effect == "deny"
}

default escalate := false

escalate if {
\tnot deny
\tcount(violations) > 0
}

default allow := false

allow if count(violations) == 0

default decision := "allow"

decision := "deny" if deny

decision := "escalate" if escalate

result := {"decision": decision, "violations": violations}
`;
}
