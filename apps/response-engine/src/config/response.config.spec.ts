import { undocumentedEnvRows } from '@ward/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadResponseConfig, responseEnv } from './response.config';

function destinationsFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ward-destinations-')), 'destinations.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('loadResponseConfig', () => {
  it('uses the documented defaults', () => {
    const sut = loadResponseConfig({});
    expect(sut.http.port).toBe(3004);
    expect(sut.consumerGroup).toBe('ward-response-engine');
    expect(sut.playbookDirs).toEqual(['deploy/playbooks']);
    expect(sut.dryRun).toBe(false);
    expect(sut.destinations.size).toBe(0);
    expect(sut.destinationFailureLimit).toBe(5);
    expect(sut.outbound).toEqual({ allowHosts: [], allowPrivate: false });
    expect(sut.sweepMs).toBe(5000);
    expect(sut.adminToken).toBeUndefined();
  });

  it('reads named destinations, taking each secret from the variable the file names', () => {
    const file = destinationsFile(
      [
        'destinations:',
        '  soc-webhook: { kind: webhook, url: "https://hooks.example.com/ward", secretEnv: HOOK_SECRET }',
        '  siem: { kind: syslog, host: siem.example.com, port: 6514, transport: udp }',
      ].join('\n'),
    );
    const sut = loadResponseConfig({ RESPONSE_DESTINATIONS_FILE: file, HOOK_SECRET: 's3cret' });
    expect(sut.destinations.get('soc-webhook')).toEqual({
      name: 'soc-webhook',
      kind: 'webhook',
      url: 'https://hooks.example.com/ward',
      secret: 's3cret',
    });
    expect(sut.destinations.get('siem')).toEqual({
      name: 'siem',
      kind: 'syslog',
      host: 'siem.example.com',
      port: 6514,
      transport: 'udp',
    });
  });

  it.each([
    ['RESPONSE_SWEEP_SECONDS', '0', /RESPONSE_SWEEP_SECONDS must be at least 1/],
    ['RESPONSE_DRY_RUN', 'maybe', /RESPONSE_DRY_RUN/],
    ['RESPONSE_DESTINATION_FAILURE_LIMIT', '0', /RESPONSE_DESTINATION_FAILURE_LIMIT/],
    ['RESPONSE_CONSUMER_GROUP', 'a b', /RESPONSE_CONSUMER_GROUP/],
    ['RESPONSE_DESTINATIONS_FILE', '/nonexistent/d.yaml', /does not exist/],
  ])('refuses a bad %s by name', (name, value, message) => {
    expect(() => loadResponseConfig({ [name]: value })).toThrow(message);
  });

  it.each([
    ['destinations: [1, 2]', /needs a "destinations" map/],
    ['destinations:\n  x: { kind: ftp, url: "https://a" }', /destination x: kind must be/],
    ['destinations:\n  x: { kind: webhook, url: "file:///etc/passwd" }', /url must be an http/],
    ['destinations:\n  x: { kind: syslog, host: h }', /destination x: syslog needs host and port/],
    [
      'destinations:\n  x: { kind: syslog, host: h, port: 514, transport: sctp }',
      /transport must be tcp, udp or tls/,
    ],
    [
      'destinations:\n  x: { kind: webhook, url: "https://a", secretEnv: NOT_SET_ANYWHERE }',
      /NOT_SET_ANYWHERE \(its secret\) is not set/,
    ],
    [
      'destinations:\n  x: { kind: syslog, host: h, port: 514, caFile: /nonexistent.pem }',
      /caFile must name an existing PEM file/,
    ],
    ['destinations: [', /is not YAML/],
  ])('refuses a destinations file with %j', (yaml, message) => {
    expect(() =>
      loadResponseConfig({ RESPONSE_DESTINATIONS_FILE: destinationsFile(yaml) }),
    ).toThrow(message);
  });

  it('is documented row for row in README.md', () => {
    expect(undocumentedEnvRows(responseEnv, join(__dirname, '../../../../README.md'))).toEqual([]);
  });
});
