import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type RawTelemetryEvent } from '@ward/contracts';
import { byEventTime, type Over, Story, toJsonl } from './story';

/**
 * One storyline per monitor detector, as telemetry an agent gateway would
 * post: `deploy/demo/detectors/<name>.jsonl`, with what it must produce
 * written by hand beside it in `<name>.expected.json`. The files are generated
 * from this module (`npm run demo:detector-files`) so they stay consistent;
 * the mesh end-to-end test plays every file through sentinel-ingest and the
 * monitor and compares the alerts and tier changes with the expectation.
 *
 * Event time starts at a fixed instant, so the files never change; records
 * carry no tenantId (the tenant comes from the API key that posts them) and
 * every agent has its own storyline.
 */
export const SCENARIO_START_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

const story = (agentId: string, base: Over = {}): Story =>
  new Story(agentId, SCENARIO_START_MS, base);

export interface DetectorScenario {
  readonly name: string;
  readonly summary: string;
  readonly events: RawTelemetryEvent[];
}

function scenario(name: string, summary: string, ...stories: Story[]): DetectorScenario {
  const events = byEventTime(stories);
  return { name, summary, events };
}

/** Printable, low-entropy parameters versus random-looking ones (what an exfiltrating agent encodes). */
const plain = (i: number): Over => ({ parameters: { query: `status ${i % 3}` } });
const noisy = (i: number): Over => {
  let s = '';
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < 96; k++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += String.fromCharCode(33 + (x % 94));
  }
  return { parameters: { blob: s } };
};

export function detectorScenarios(): DetectorScenario[] {
  return [
    scenario(
      'call-rate-spike',
      'A runaway agent: ten calls a minute for five minutes, then two hundred in one minute.',
      story('runaway').steady(0, 5, 10).calls(5, 200).close(5),
      story('steady-peer').steady(0, 6, 10).close(5),
    ),
    scenario(
      'deny-rate-spike',
      'Credential probing: the same login tool, allowed for five minutes, then denied twenty times in a minute.',
      story('prober')
        .steady(0, 5, 20, { action: 'login' })
        .calls(5, 20, { action: 'login', outcome: 'denied' })
        .close(5, { action: 'login' }),
    ),
    scenario(
      'error-rate-spike',
      'A broken integration: every call to the same tool fails for a minute.',
      story('flaky')
        .steady(0, 5, 20, { action: 'fetch_invoice' })
        .calls(5, 20, { action: 'fetch_invoice', outcome: 'error' })
        .close(5, { action: 'fetch_invoice' }),
    ),
    scenario(
      'exfiltration',
      'One database read per call for five minutes, then twenty calls that each read a different file and send 50 KB out.',
      story('exfil')
        .steady(0, 5, 20, { action: 'query', resource: 'db://orders', bytesOut: 1000 })
        .calls(5, 20, (i) => ({
          action: 'query',
          resource: `file:///home/finance/q${i}.xlsx`,
          bytesOut: 50_000,
        }))
        .close(5, { action: 'query', resource: 'db://orders', bytesOut: 1000 }),
    ),
    scenario(
      'entropy-spike',
      'An agent whose parameters turn from short plain queries into random-looking blobs (encoded data).',
      story('encoder').steady(0, 5, 20, plain).calls(5, 20, noisy).close(5, plain(0)),
    ),
    scenario(
      'tool-diversity-spike',
      'An agent that used one tool suddenly tries twenty different ones in a minute.',
      story('tool-hopper')
        .steady(0, 5, 20)
        .calls(5, 20, (i) => ({ action: `tool_${i}` }))
        .close(5),
    ),
    scenario(
      'session-spike',
      'One session a minute, then twenty fresh sessions in a minute, all allowed.',
      story('sessionspray')
        .steady(0, 5, 10)
        .calls(5, 20, (i) => ({ sessionId: `sessionspray-burst-${i}` }))
        .close(5),
    ),
    scenario(
      'new-tool-and-resource',
      'After warm-up, a first call to a tool never used before, on a resource never touched before.',
      story('newcomer')
        .steady(0, 5, 10, { resource: 'kb://handbook' })
        .at(5, 20_000, { action: 'shell_exec', resource: 'host://build-01' })
        .calls(5, 9, { resource: 'kb://handbook' })
        .close(5, { resource: 'kb://handbook' }),
    ),
    scenario(
      'behavior-drift',
      'Twenty calls a minute for ten minutes, then two more every minute for ten minutes: never a spike, always a drift.',
      (() => {
        const s = story('drifter').steady(0, 10, 20);
        for (let w = 10; w < 20; w++) {
          s.calls(w, 20 + 2 * (w - 9));
        }
        return s.close(19);
      })(),
    ),
    scenario(
      'tool-mix-divergence',
      'Half searches and half reads for five minutes (an export now and then), then a minute of exports only, at the same volume.',
      story('mix-shifter')
        .steady(0, 5, 40, (i) => ({
          action: i === 0 ? 'export_csv' : i % 2 === 0 ? 'search_docs' : 'read_doc',
        }))
        .calls(5, 40, { action: 'export_csv' })
        .close(5),
    ),
    scenario(
      'behavior-reversal',
      'Transfers to an account were allowed during warm-up; one is denied in a session, then allowed in a fresh one.',
      story('reverser')
        .steady(0, 5, 10, (i) => (i === 0 ? { action: 'transfer', resource: 'acct:9' } : {}))
        .at(5, 10_000, {
          sessionId: 'reverser-a',
          action: 'transfer',
          resource: 'acct:9',
          outcome: 'denied',
        })
        .at(5, 40_000, { sessionId: 'reverser-b', action: 'transfer', resource: 'acct:9' })
        .close(5),
    ),
    scenario(
      'session-cycling',
      'Four fresh sessions within three minutes, denied and allowed by turns: cycling sessions to reset trust.',
      (() => {
        const actions = ['read_doc', 'search_docs', 'update_record', 'list_users'];
        // Three sessions a minute as usual, so four fresh ones are no session spike.
        const s = story('cycler').steady(0, 5, 12, (i) => ({
          action: actions[i % 4],
          sessionId: `cycler-usual-${i % 3}`,
        }));
        actions.forEach((action, i) =>
          s.at(5, 5_000 + i * 12_000, {
            sessionId: `cycler-fresh-${i}`,
            action,
            outcome: i % 2 === 0 ? 'denied' : 'ok',
          }),
        );
        return s.close(5);
      })(),
    ),
    scenario(
      'secret-split',
      'An AWS access key id smuggled out in two calls, neither of which holds the whole key.',
      story('splitter')
        .steady(0, 5, 5, { action: 'upload_part' })
        .at(5, 10_000, { action: 'upload_part', parameters: { chunk: 'AKIAIOSF' } })
        .at(5, 20_000, { action: 'upload_part', parameters: { chunk: 'ODNN7EXAMPLE' } })
        .close(5, { action: 'upload_part' }),
    ),
    scenario(
      'secret-recurrence',
      'The same kind of secret (a GitHub token) in the parameters of two different sessions.',
      story('leaker')
        .steady(0, 3, 5)
        .at(3, 10_000, {
          sessionId: 'leaker-a',
          parameters: { token: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' },
        })
        .at(4, 10_000, {
          sessionId: 'leaker-b',
          parameters: { auth: 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789' },
        })
        .close(4),
    ),
    scenario(
      'composite',
      'Several metrics rise together, each short of its own threshold: more calls, more bytes out and more failures.',
      story('creeper')
        .steady(0, 5, 20, { bytesOut: 10_000 })
        // 37 calls (z 3.8 against 20), 395 KB out (z 3.9 against 200 KB), 30% failures
        // (z 3.75, never above 30% while the window fills): each short of 4, together 0.81.
        .calls(5, 37, (i) => ({
          bytesOut: 10_670,
          outcome: Math.floor(((i + 1) * 3) / 10) > Math.floor((i * 3) / 10) ? 'error' : 'ok',
        }))
        .close(5, { bytesOut: 10_000 }),
    ),
    scenario(
      'calm',
      'Three well-behaved agents with ordinary variation: no alert, no tier change.',
      story('calm-a').steady(0, 4, 10).calls(4, 12).calls(5, 9).close(5),
      story('calm-b')
        .steady(0, 3, 20, { action: 'read_doc' })
        .calls(3, 23, { action: 'read_doc' })
        .calls(4, 18, { action: 'read_doc' })
        .close(4, { action: 'read_doc' }),
      story('calm-c')
        .steady(0, 6, 6, (i) => ({ action: i % 2 === 0 ? 'search_docs' : 'read_doc' }))
        .close(5),
    ),
  ];
}

export const DETECTOR_SCENARIO_DIR = resolve(__dirname, '../../deploy/demo/detectors');

interface Expectation {
  readonly agents: Record<
    string,
    {
      alerts: string[];
      tiers: number[];
      incident: { severity: string; playbooks: string[] } | null;
    }
  >;
}

/** Every generated file of deploy/demo/detectors (name → content): the JSONL files and the README. */
export function detectorScenarioFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const rows: string[] = [];
  for (const s of detectorScenarios()) {
    files.set(`${s.name}.jsonl`, toJsonl(s.events));
    const expected = JSON.parse(
      readFileSync(join(DETECTOR_SCENARIO_DIR, `${s.name}.expected.json`), 'utf8'),
    ) as Expectation;
    const outcome = Object.entries(expected.agents)
      .map(([agent, e]) =>
        e.alerts.length === 0
          ? `\`${agent}\`: nothing`
          : `\`${agent}\`: ${e.alerts.map((a) => `\`${a}\``).join(', ')}; tiers ${e.tiers.join(' → ')}; one ${e.incident?.severity ?? 'no'} incident${e.incident?.playbooks.length ? ` (playbooks ${e.incident.playbooks.map((p) => `\`${p}\``).join(', ')})` : ''}`,
      )
      .join('<br>');
    rows.push(`| [${s.name}](${s.name}.jsonl) | ${s.summary} | ${outcome} |`);
  }
  files.set(
    'README.md',
    [
      '# Detector scenarios',
      '',
      'One storyline per behavioral-monitor detector, as the telemetry an agent gateway',
      'would post (`<name>.jsonl`, no `tenantId`: the tenant comes from the API key),',
      'and what it must produce, written by hand (`<name>.expected.json`: per agent,',
      'the alerts as `detector:severity`, the tiers published on',
      '`ward.agent-control.v1` in order, the severity of the one incident fusion',
      'makes of them, and the shipped playbooks (`deploy/playbooks`) it triggers).',
      'The end-to-end test `apps/mesh-e2e/src/detectors.int-spec.ts` posts every',
      'file to a real sentinel-ingest and checks that a real behavioral-monitor,',
      'fusion and response-engine produce exactly that.',
      '',
      'With `npm start` running, play one by hand:',
      '',
      '```bash',
      'KEY=$(npm run -s api-key -- create --tenant demo --name scenarios)',
      'curl -s -H "authorization: Bearer $KEY" -H "content-type: application/x-ndjson" \\',
      '  --data-binary @deploy/demo/detectors/call-rate-spike.jsonl http://127.0.0.1:3001/v1/events',
      '```',
      '',
      'Event time is fixed (January 2026), so replaying a file into the same tenant',
      'twice is recognised as duplicates; use a fresh tenant per run. This file and',
      'the `.jsonl` files are generated by `npm run demo:detector-files` from',
      '`tools/src/detector-scenarios.ts`; a unit test keeps them in step.',
      '',
      '| scenario | storyline | expected |',
      '| --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
  return files;
}
