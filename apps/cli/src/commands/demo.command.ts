import {
  type BehavioralEvent,
  type Policy,
  type ResponseAction,
  type ThreatAlert,
} from '@ward/contracts';
import { intOption } from '../cli/args';
import { type CliConfig, SERVICES } from '../cli/config';
import { type Context } from '../cli/context';
import { CliError, EXIT, UsageError } from '../cli/errors';
import { wrap } from '../cli/help';
import { type Style } from '../cli/style';
import { probe, ServiceClient } from '../client/api.client';
import { HttpSink } from '../client/ingest.client';
import { connectKafka, kafkaFailure } from '../client/kafka.client';
import {
  alertLabel,
  alertsComplete,
  check,
  type CheckLine,
  type Expectation,
  incidentFor,
  latestVersions,
  type StepOutcome,
} from '../demo/expectation';
import { MeshWatch } from '../demo/mesh-watch';
import {
  loadExpectation,
  loadScenario,
  rebase,
  type Scenario,
  scenarioNames,
} from '../demo/scenario';
import { alertLine, shortId, statusCell, when } from '../render/format';

const TERMINAL = new Set(['succeeded', 'failed', 'skipped', 'rejected', 'expired', 'dry_run']);
const STAGES = [
  'events',
  'alerts',
  'incident',
  'playbook',
  'approval',
  'policy',
  'enforcement',
] as const;
type Stage = (typeof STAGES)[number];
const NUMBERS = ['①', '②', '③', '④', '⑤', '⑥', '⑦'];

/** The chain a scenario walks, in words, for `ward demo --list` and the README. */
export function chainOf(e: Expectation): string {
  return [
    `${Object.values(e.alerts).flat().length} alerts`,
    e.incident ? `${e.incident.severity} incident` : 'no incident',
    e.playbooks.length ? e.playbooks.join(', ') : 'no playbook',
    e.approval ? `approve ${e.approval.step}` : 'nothing to approve',
    e.policy ? `${e.policy.kind} policy` : 'no policy',
  ].join(' → ');
}

/** The header of a stage: `② alerts      behavioral-monitor and sentinel-ingest judge the events`. */
export function stageLine(style: Style, stage: Stage, text: string): string {
  return `${style.cyan(NUMBERS[STAGES.indexOf(stage)]!)} ${style.bold(stage.padEnd(11))} ${text}`;
}

/** The final check, one line per expectation. */
export function renderCheck(style: Style, lines: readonly CheckLine[], file: string): string {
  const width = Math.max(...lines.map((l) => l.what.length));
  const out = [style.bold(`Check against ${file}`)];
  for (const l of lines) {
    out.push(
      `  ${l.ok ? style.green('✓') : style.red('✗')} ${l.what.padEnd(width)}  ${l.ok ? l.actual : `expected ${l.expected}; got ${l.actual}`}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function listScenarios(ctx: Context): void {
  const s = ctx.out.style;
  const names = scenarioNames();
  if (ctx.json) {
    ctx.out.line(JSON.stringify(names.map((name) => ({ name, ...loadExpectation(name) }))));
    return;
  }
  ctx.out.line(s.bold('Storylines (deploy/demo/scenarios):'));
  for (const name of names) {
    const e = loadExpectation(name);
    ctx.out.line('');
    ctx.out.line(`  ${s.bold(name.padEnd(24))} ${e.title}`);
    for (const line of wrap(e.storyline, 76, '    ')) {
      ctx.out.line(s.dim(line));
    }
    ctx.out.line(`    ${chainOf(e)}`);
  }
  ctx.out.line('');
  ctx.out.line(
    `Play one: ${s.bold(`ward demo ${names[0] ?? '<name>'}`)}   every one: ${s.bold('ward demo all')}`,
  );
}

async function preflight(config: CliConfig): Promise<void> {
  const down: string[] = [];
  await Promise.all(
    SERVICES.map(async (svc) => {
      const e = config.services[svc];
      const r = await probe(`${e.url}/readyz`, 5_000);
      if ('error' in r || r.status !== 200) {
        down.push(`${e.name} (${e.url})`);
      }
    }),
  );
  if (down.length > 0) {
    throw new CliError(
      `not ready: ${down.sort().join(', ')}`,
      'start Ward with `npm start` in another terminal and wait for it to print where each service listens; `ward doctor` says what is wrong',
    );
  }
}

/** Plays one scenario and narrates it; the exit code says whether the expectation held. */
async function play(
  ctx: Context,
  scenario: Scenario,
  tenant: string,
  timeoutMs: number,
): Promise<number> {
  const config = ctx.config();
  const s = ctx.out.style;
  const e = scenario.expectation;
  const say = (text = '') => ctx.out.line(text);
  const hints: Record<Stage, string> = {
    events: '`ward doctor` says what is wrong',
    alerts:
      'is behavioral-monitor consuming? see its output in the `npm start` terminal, `ward topics` for its lag',
    incident: 'is fusion consuming ward.threat-alerts.v1? `ward topics` shows its lag',
    playbook:
      'is response-engine running the playbooks of deploy/playbooks? `ward doctor` lists refused ones',
    approval: 'see `ward approvals` and the response-engine output',
    policy:
      'is policy-generator consuming? `ward policies --tenant ' +
      tenant +
      '` shows what it proposed',
    enforcement:
      'sentinel-ingest picks active policies up from ward.policies.v1 within seconds; see its output',
  };
  const wait = <T>(stage: Stage, what: string, probeFn: () => T | undefined) =>
    watch.until(probeFn, { what, hint: hints[stage], timeoutMs, signal: ctx.signal });

  const { records, shiftMs } = rebase(scenario.records, Date.now());
  const times = records
    .map((r) => Date.parse(String(r.value['timestamp'])))
    .filter((t) => !Number.isNaN(t));
  say(`${s.bold(`Ward demo: ${e.title}`)}  ${s.dim(`(${scenario.name})`)}`);
  for (const line of wrap(e.storyline, Math.min(ctx.out.columns, 100) - 2, '  ')) {
    say(s.dim(line));
  }
  say(
    s.dim(
      `  tenant ${tenant}; event time moved ${Math.round(shiftMs / 3_600_000)} h forward, to ${when(new Date(Math.min(...times)).toISOString())} → ${when(new Date(Math.max(...times)).toISOString()).slice(11)} UTC`,
    ),
  );
  say();

  const handle = connectKafka(config);
  const watch = new MeshWatch(handle, tenant);
  try {
    await watch.start();
  } catch (error) {
    await watch.stop();
    throw new CliError(
      kafkaFailure(handle.brokers, error),
      'run `npm run infra -- up`; `ward doctor` checks every part',
    );
  }
  const live = new Set<string>();
  const printedAlerts = new Set<string>();
  const printAlert = (a: ThreatAlert) => {
    if (!printedAlerts.has(a.alertId)) {
      printedAlerts.add(a.alertId);
      say(`   ${alertLine(s, a, false)}`);
    }
  };
  const printedActions = new Set<string>();
  const printAction = (a: ResponseAction) => {
    const key = `${a.runId}/${a.stepId}/${a.status}/${a.attempt}`;
    if (printedActions.has(key) || a.status === 'running' || a.status === 'approved') {
      return;
    }
    printedActions.add(key);
    const mark =
      a.status === 'succeeded'
        ? s.green('✓')
        : a.status === 'failed'
          ? s.red('✗')
          : a.status === 'pending_approval'
            ? s.yellow('⏸')
            : s.dim('·');
    const note =
      a.status === 'failed' && a.error
        ? `  ${s.dim(a.error.slice(0, 90))}`
        : a.status === 'pending_approval'
          ? `  ${s.yellow('waits for a person')}`
          : a.approver
            ? `  by ${a.approver}`
            : '';
    say(
      `   ${mark} ${a.playbookId}/${s.bold(a.stepId.padEnd(11))} ${s.dim(a.action.padEnd(18))} ${statusCell(s, a.status)}${note}`,
    );
  };
  const stopLive = watch.onRecord((topic, value) => {
    if (topic === handle.topics.threatAlerts.name && live.has('alerts')) {
      printAlert(value as ThreatAlert);
    }
    if (topic === handle.topics.responseActions.name && live.has('actions')) {
      printAction(value as ResponseAction);
    }
  });

  let enforcementFrom: number | undefined;
  let approval: StepOutcome | undefined;
  let policy: Policy | undefined;
  let failure: CliError | undefined;
  let incidentsBefore: ReturnType<typeof latestVersions> | undefined;
  let incidentAfter: ReturnType<typeof latestVersions>[number] | undefined;
  try {
    // ① events
    const sink = new HttpSink(config, tenant);
    const answer = await sink.send(records, ctx.signal);
    say(
      stageLine(
        s,
        'events',
        `${records.length} records over HTTP to sentinel-ingest: ${answer.accepted} accepted${answer.rejected ? `, ${s.red(`${answer.rejected} rejected`)}` : ''}${answer.alerts ? `, ${answer.alerts} caught inline (secrets, injection)` : ''}`,
      ),
    );
    if (answer.rejected > 0) {
      throw new CliError(
        `ingest rejected ${answer.rejected} records: ${answer.rejections[0]?.reason ?? ''}`,
      );
    }

    // ② alerts
    say(
      stageLine(
        s,
        'alerts',
        'behavioral-monitor profiles each agent in one-minute windows of event time',
      ),
    );
    live.add('alerts');
    watch.alerts.forEach(printAlert);
    await wait('alerts', 'alerts', () => (alertsComplete(e, watch.alerts) ? true : undefined));

    // ③ incident
    if (e.incident !== null) {
      const expected = e.incident;
      const expectedAgents = new Set(Object.keys(e.alerts));
      const incident = await wait('incident', `a ${expected.severity} incident`, () => {
        const i = incidentFor(e, watch.incidents);
        const held = new Set(i?.alertIds ?? []);
        return i !== undefined &&
          i.severity === expected.severity &&
          watch.alerts.every((a) => !expectedAgents.has(a.agentId) || held.has(a.alertId))
          ? i
          : undefined;
      });
      say(
        stageLine(
          s,
          'incident',
          `fusion folds ${incident.alertCount === 1 ? 'the alert' : `${incident.alertCount} alerts`} into one incident`,
        ),
      );
      say(
        `   ${s.severity(incident.severity, '■')} ${s.severity(incident.severity)} ${s.bold(incident.title)}  ${s.dim(shortId(incident.incidentId))}`,
      );
      for (const esc of incident.escalations) {
        say(`     ${s.dim('raised:')} ${esc.detail}`);
      }
      say(
        `     ${s.dim('more:')} ward incident ${shortId(incident.incidentId)} --tenant ${tenant}`,
      );

      // ④ playbook
      if (e.playbooks.length > 0) {
        await wait('playbook', `runs of ${e.playbooks.join(', ')}`, () =>
          e.playbooks.every((p) =>
            watch.actions.some((a) => a.playbookId === p && a.incidentId === incident.incidentId),
          )
            ? true
            : undefined,
        );
        say(stageLine(s, 'playbook', `response-engine runs ${e.playbooks.join(' and ')}`));
        live.add('actions');
        watch.actions.forEach(printAction);
      } else {
        say(
          stageLine(
            s,
            'playbook',
            s.dim(
              'no shipped playbook answers this incident: the agent is watched, a person decides',
            ),
          ),
        );
      }

      // ⑤ approval
      if (e.approval !== null) {
        const want = e.approval;
        const pending = await wait(
          'approval',
          `${want.playbook}/${want.step} to wait for approval`,
          () =>
            watch.actions.find(
              (a) =>
                a.playbookId === want.playbook &&
                a.stepId === want.step &&
                a.status === 'pending_approval',
            ),
        );
        say(
          stageLine(
            s,
            'approval',
            `${s.bold(want.step)} (${pending.action}) of ${want.playbook} waits for a person`,
          ),
        );
        say(`     ${s.dim('with')} ${JSON.stringify(pending.parameters ?? {}).slice(0, 200)}`);
        say(
          `     ${s.dim('by hand:')} ward approve ${pending.runId.slice(0, 12)} ${pending.stepId} --tenant ${tenant} --reason "..."`,
        );
        const yes = await decide(ctx, `   Approve ${want.step} of ${want.playbook}?`);
        await new ServiceClient(config.services.response).post(
          `/tenants/${encodeURIComponent(tenant)}/approvals/${pending.runId}/${encodeURIComponent(pending.stepId)}`,
          {
            decision: yes ? 'approve' : 'reject',
            actor: config.actor,
            reason: `ward demo ${scenario.name}`,
          },
        );
        const done = await wait('approval', `${want.step} to finish`, () =>
          watch.actions.find(
            (a) =>
              a.runId === pending.runId && a.stepId === pending.stepId && TERMINAL.has(a.status),
          ),
        );
        approval = {
          playbook: done.playbookId,
          step: done.stepId,
          action: done.action,
          status: yes ? done.status : 'rejected',
        };
        say(
          `     ${yes ? s.green('approved') : s.red('rejected')} by ${config.actor}: ${statusCell(s, done.status)}${done.error ? ` ${s.dim(`(${done.error.slice(0, 100)})`)}` : ''}`,
        );
      } else {
        say(stageLine(s, 'approval', s.dim('no step of this storyline waits for a person')));
      }
    }

    // ⑥ policy
    if (e.policy !== null) {
      const want = e.policy;
      const current = () => latestPolicies(watch.policies);
      const found = await wait('policy', `a ${want.kind} proposal on ${want.subject}`, () =>
        current().find(
          (p) =>
            p.kind === want.kind &&
            p.subject === want.subject &&
            (p.status === 'proposed' || p.status === 'active'),
        ),
      );
      say(stageLine(s, 'policy', 'policy-generator turns what happened into proposals'));
      for (const p of current().sort((a, b) => b.confidence - a.confidence)) {
        const mark = p.policyId === found.policyId ? s.cyan('→') : ' ';
        say(
          `   ${mark} ${p.confidence.toFixed(2)}  ${statusCell(s, p.status).padEnd(8)} ${s.bold(p.kind.padEnd(20))} ${p.title}  ${s.dim(shortId(p.policyId))}`,
        );
      }
      const ev = found.evidence;
      say(
        `     ${s.dim('confidence')} ${found.confidence.toFixed(2)} = frequency ${ev.factors.frequency} + severity ${ev.factors.severity} (${ev.maxSeverity}) + corroboration ${ev.factors.corroboration}`,
      );
      if (found.status === 'proposed') {
        const yes = await decide(ctx, `   Activate "${found.title}"?`);
        await new ServiceClient(config.services.policy).post(
          `/tenants/${encodeURIComponent(tenant)}/policies/${found.policyId}/${yes ? 'approve' : 'reject'}`,
          { actor: config.actor, reason: `ward demo ${scenario.name}` },
        );
      }
      policy = await wait('policy', `${want.kind} to become active`, () =>
        current().find((p) => p.policyId === found.policyId && p.status !== 'proposed'),
      );
      say(
        `     ${policy.status === 'active' ? s.green('active') : statusCell(s, policy.status)}: on ward.policies.v1 and in the tenant's OPA bundle; ${s.dim(`ward policy show ${shortId(policy.policyId)} --tenant ${tenant}`)}`,
      );

      // ⑦ enforcement
      if (e.enforcement !== null && policy.status === 'active') {
        const enforcement = e.enforcement;
        say(
          stageLine(
            s,
            'enforcement',
            `${String(enforcement.probe['agentId'])} tries again: ${String(enforcement.probe['action'])} ${typeof enforcement.probe['resource'] === 'string' ? enforcement.probe['resource'] : ''}`,
          ),
        );
        enforcementFrom = watch.alerts.length;
        incidentsBefore = latestVersions(watch.incidents);
        // Just after the storyline's last event, not the wall clock: how long the demo took
        // (a person reading, a slow machine) must not change what the probe sets off, e.g.
        // outlive a cooldown and fire the storyline's detector a second time.
        const at = new Date(Math.max(...times) + 1000).toISOString();
        let attempt = 0;
        let labelled: BehavioralEvent | undefined;
        // Until sentinel-ingest has read the new policy version, a call passes unlabelled: try again (same event time).
        while (labelled === undefined) {
          attempt += 1;
          const eventId = `probe-${attempt}`;
          await sink.send(
            [
              {
                value: { ...enforcement.probe, eventId, timestamp: at },
                source: 'probe',
                line: attempt,
              },
            ],
            ctx.signal,
          );
          labelled = await wait('enforcement', 'the probe to pass sentinel-ingest', () => {
            const ev = watch.events.find((x) => x.eventId === eventId);
            return ev === undefined ? undefined : ev;
          }).then((ev) =>
            ev.policyViolations !== undefined && ev.policyViolations.length > 0 ? ev : undefined,
          );
          if (labelled === undefined && attempt >= 20) {
            throw new CliError(
              'sentinel-ingest never labelled the probe with the active policy',
              hints.enforcement,
            );
          }
        }
        for (const v of labelled.policyViolations ?? []) {
          say(
            `   sentinel-ingest labels it: ${s.red(v.effect)} by ${v.kind} ${s.dim(shortId(v.policyId))}`,
          );
        }
        const from = enforcementFrom;
        live.add('alerts');
        await wait('enforcement', enforcement.alerts.join(', '), () => {
          const got = watch.alerts.slice(from).map(alertLabel);
          return enforcement.alerts.every((x) => got.includes(x)) ? true : undefined;
        });
        const violations = new Set(watch.alerts.slice(from).map((a) => a.alertId));
        incidentAfter = await wait('enforcement', 'the violation to join the incident', () =>
          latestVersions(watch.incidents).find((i) => i.alertIds.some((id) => violations.has(id))),
        );
        say(
          `   fusion adds it to incident ${shortId(incidentAfter.incidentId)}: ${s.severity(incidentAfter.severity)}, ${incidentAfter.alertCount} alerts`,
        );
      }
    }
  } catch (error) {
    if (!(error instanceof CliError)) {
      throw error;
    }
    failure = error;
  } finally {
    stopLive();
  }
  say();
  const lines = check(e, {
    alerts: enforcementFrom === undefined ? watch.alerts : watch.alerts.slice(0, enforcementFrom),
    incidents: incidentsBefore ?? latestVersions(watch.incidents),
    incidentAfterEnforcement: incidentAfter,
    playbooks: [...new Set(watch.actions.map((a) => a.playbookId))],
    approval,
    policy,
    enforcementAlerts:
      enforcementFrom === undefined ? undefined : watch.alerts.slice(enforcementFrom),
  });
  await watch.stop();
  if (failure !== undefined) {
    ctx.err.line(`${s.red('✗')} ${failure.message}`);
    if (failure.hint) {
      ctx.err.line(`  ${s.yellow('→')} ${failure.hint}`);
    }
  }
  ctx.out.write(renderCheck(s, lines, `deploy/demo/scenarios/${scenario.name}.expected.json`));
  const ok = failure === undefined && lines.every((l) => l.ok);
  say();
  say(
    s.dim(
      `explore: ward incidents --tenant ${tenant} · ward agents --tenant ${tenant} · ward policies --tenant ${tenant} · ward approvals --tenant ${tenant}`,
    ),
  );
  return ok ? EXIT.ok : EXIT.failure;
}

function latestPolicies(versions: readonly Policy[]): Policy[] {
  const latest = new Map<string, Policy>();
  for (const p of versions) {
    if ((latest.get(p.policyId)?.version ?? 0) <= p.version) {
      latest.set(p.policyId, p);
    }
  }
  return [...latest.values()];
}

async function decide(ctx: Context, question: string): Promise<boolean> {
  if (ctx.values['yes'] === true) {
    ctx.out.line(`${question} ${ctx.out.style.dim('yes (--yes)')}`);
    return true;
  }
  const answer = await ctx.confirm(question, true);
  if (answer === undefined) {
    ctx.out.line(
      `${question} ${ctx.out.style.dim('yes (not a terminal: approving as a person would)')}`,
    );
    return true;
  }
  return answer;
}

/** `ward demo [scenario|all]` */
export async function demo(ctx: Context): Promise<number> {
  const name = ctx.positionals[0];
  if (name === undefined || ctx.values['list'] === true) {
    listScenarios(ctx);
    return EXIT.ok;
  }
  if (ctx.json) {
    throw new UsageError(
      'ward demo narrates; --json only lists the scenarios (ward demo --list --json)',
    );
  }
  const names = name === 'all' ? scenarioNames() : [name];
  const scenarios = names.map((n) => loadScenario(n));
  const config = ctx.config();
  const timeoutMs = intOption(ctx.values, 'timeout', { min: 5, max: 3600 }, 90) * 1000;
  await preflight(config);
  const run = Date.now().toString(36);
  const results: [string, number][] = [];
  for (const scenario of scenarios) {
    const tenant =
      config.sources.has('WARD_TENANT') && scenarios.length === 1
        ? config.tenant
        : `demo-${scenario.name}-${run}`;
    results.push([scenario.name, await play(ctx, scenario, tenant, timeoutMs)]);
    if (scenarios.length > 1) {
      ctx.out.line();
    }
    if (ctx.signal.aborted) {
      break;
    }
  }
  if (results.length > 1) {
    const s = ctx.out.style;
    for (const [n, code] of results) {
      ctx.out.line(`${code === 0 ? s.green('✓') : s.red('✗')} ${n}`);
    }
  }
  return results.every(([, code]) => code === EXIT.ok) && results.length === scenarios.length
    ? EXIT.ok
    : EXIT.failure;
}
