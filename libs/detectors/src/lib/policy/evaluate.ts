import {
  type PolicyEffect,
  type PolicyKind,
  type PolicyRule,
  type PolicyViolation,
} from '@ward/contracts';

/**
 * The OPA input document every enforcement point sends, and the one
 * sentinel-ingest builds for each event: the event's fields and what the
 * enforcement point knows around it.
 */
export interface PolicyInput {
  readonly event: {
    readonly agentId: string;
    readonly action: string;
    readonly resource?: string;
    readonly requesterId?: string;
    readonly instructionHash?: string;
    readonly iocs?: {
      readonly ips?: readonly string[];
      readonly domains?: readonly string[];
      readonly urls?: readonly string[];
      readonly hashes?: readonly string[];
    };
    readonly parameters?: unknown;
    readonly result?: unknown;
  };
  readonly context?: { readonly callsPerMinute?: number };
}

export type PolicyDecision = 'allow' | 'escalate' | 'deny';

export interface PolicyVerdict {
  readonly decision: PolicyDecision;
  readonly violations: PolicyViolation[];
}

/** A rule with its values in sets and its patterns compiled once. */
export interface CompiledRule {
  readonly effect: PolicyEffect;
  readonly test: (input: PolicyInput) => boolean;
}

const IOC_FIELD = { ip: 'ips', domain: 'domains', url: 'urls', hash: 'hashes' } as const;

/** Compiles the JSON form of a policy; the semantics are those of its Rego (see rego.ts). */
export function compileRule(rule: PolicyRule): CompiledRule {
  const w = rule.when;
  const checks: ((input: PolicyInput) => boolean)[] = [];
  if (w.agents) {
    const set = new Set(w.agents);
    checks.push((i) => set.has(i.event.agentId));
  }
  if (w.tools) {
    const set = new Set(w.tools);
    checks.push((i) => set.has(i.event.action));
  }
  if (w.resources) {
    const exact = new Set(w.resources.filter((r) => !r.endsWith('*')));
    const prefixes = w.resources.filter((r) => r.endsWith('*')).map((r) => r.slice(0, -1));
    checks.push((i) => {
      const r = i.event.resource;
      return r !== undefined && (exact.has(r) || prefixes.some((p) => r.startsWith(p)));
    });
  }
  if (w.requesters) {
    const set = new Set(w.requesters);
    checks.push((i) => i.event.requesterId !== undefined && set.has(i.event.requesterId));
  }
  if (w.indicators) {
    const wanted = w.indicators.map((x) => ({
      field: IOC_FIELD[x.type],
      type: x.type,
      value: x.type === 'domain' || x.type === 'hash' ? x.value.toLowerCase() : x.value,
    }));
    checks.push((i) =>
      wanted.some(({ field, type, value }) =>
        (i.event.iocs?.[field] ?? []).some((seen) => {
          if (type === 'ip' || type === 'url') {
            return seen === value;
          }
          const s = seen.toLowerCase();
          return s === value || (type === 'domain' && s.endsWith(`.${value}`));
        }),
      ),
    );
  }
  if (w.instructionHashes) {
    const set = new Set(w.instructionHashes);
    checks.push((i) => i.event.instructionHash !== undefined && set.has(i.event.instructionHash));
  }
  if (w.textPatterns) {
    const patterns = w.textPatterns.map((p) => new RegExp(p, 'i'));
    const matches = (text: string) => patterns.some((p) => p.test(text));
    checks.push(
      (i) => someString(i.event.parameters, matches) || someString(i.event.result, matches),
    );
  }
  if (w.maxCallsPerMinute !== undefined) {
    const ceiling = w.maxCallsPerMinute;
    checks.push((i) => (i.context?.callsPerMinute ?? -Infinity) > ceiling);
  }
  return { effect: rule.effect, test: (input) => checks.every((c) => c(input)) };
}

/**
 * Whether any string anywhere inside a JSON value passes, however deep, as
 * Rego's `walk` sees it. No depth or size budget: one would let a call hide
 * text from this evaluator but not from OPA (intake bounds the size anyway).
 */
function someString(value: unknown, test: (text: string) => boolean): boolean {
  const pending: unknown[] = [value];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node === 'string') {
      if (test(node)) {
        return true;
      }
    } else if (node !== null && typeof node === 'object' && !seen.has(node)) {
      seen.add(node);
      for (const child of Object.values(node)) {
        pending.push(child);
      }
    }
  }
  return false;
}

export interface EnforcedPolicy {
  readonly policyId: string;
  readonly version: number;
  readonly kind: PolicyKind;
  readonly rule: PolicyRule;
}

/**
 * The active policies of one tenant, compiled: evaluates an input to the
 * same decision the tenant's OPA bundle gives (deny over escalate over allow).
 */
export class PolicySet {
  private readonly compiled: { policy: EnforcedPolicy; rule: CompiledRule }[];

  constructor(policies: readonly EnforcedPolicy[]) {
    this.compiled = [...policies]
      .sort((a, b) => a.policyId.localeCompare(b.policyId))
      .map((policy) => ({ policy, rule: compileRule(policy.rule) }));
  }

  get size(): number {
    return this.compiled.length;
  }

  /** Whether some rule looks at `context.callsPerMinute` (so the caller must count calls). */
  get needsCallRate(): boolean {
    return this.compiled.some((c) => c.policy.rule.when.maxCallsPerMinute !== undefined);
  }

  evaluate(input: PolicyInput): PolicyVerdict {
    const violations: PolicyViolation[] = [];
    for (const { policy, rule } of this.compiled) {
      if (rule.test(input)) {
        violations.push({
          policyId: policy.policyId,
          version: policy.version,
          kind: policy.kind,
          effect: rule.effect,
        });
      }
    }
    const decision: PolicyDecision = violations.some((v) => v.effect === 'deny')
      ? 'deny'
      : violations.length > 0
        ? 'escalate'
        : 'allow';
    return { decision, violations };
  }
}
