import { alertContextOf, normalizeIndicator, parentDomains } from './indicators';
import {
  inferIndicatorType,
  IntelIndex,
  parseCsvFeed,
  parseStixBundle,
  splitCsvLine,
} from './intel';

const NOW = Date.UTC(2026, 10, 1);

describe('indicators', () => {
  it('normalizes each type and refuses what is not one', () => {
    expect(normalizeIndicator('ip', ' 010.0.0.1 ')).toBe('10.0.0.1');
    expect(normalizeIndicator('ip', '::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(normalizeIndicator('ip', '2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeIndicator('ip', '300.1.1.1')).toBeUndefined();
    expect(normalizeIndicator('domain', 'Evil.Example.')).toBe('evil.example');
    expect(normalizeIndicator('domain', 'not a domain')).toBeUndefined();
    expect(normalizeIndicator('url', 'HTTPS://Evil.example:443/x#frag')).toBe(
      'https://evil.example/x',
    );
    expect(normalizeIndicator('url', 'javascript:alert(1)')).toBeUndefined();
    expect(normalizeIndicator('hash', 'D41D8CD98F00B204E9800998ECF8427E')).toBe(
      'd41d8cd98f00b204e9800998ecf8427e',
    );
    expect(normalizeIndicator('hash', 'xyz')).toBeUndefined();
  });

  it('lists parent domains nearest first, never the bare TLD', () => {
    expect(parentDomains('a.b.example.com')).toEqual(['b.example.com', 'example.com']);
    expect(parentDomains('example.com')).toEqual([]);
  });

  it('infers a type for untyped feed values', () => {
    expect(
      ['1.2.3.4', '10.0.0.0/8', 'x.example', 'http://x.example/a', 'a'.repeat(64)].map(
        inferIndicatorType,
      ),
    ).toEqual(['ip', 'ip', 'domain', 'url', 'hash']);
    expect(inferIndicatorType('hello world')).toBeUndefined();
  });
});

describe('CSV feeds', () => {
  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b, c","d ""e"""')).toEqual(['a', 'b, c', 'd "e"']);
  });

  it('reads named columns, comments, CIDRs and 0..1 confidences, and reports bad lines by number', () => {
    const csv = [
      '# exported 2026-11-01',
      'indicator,type,confidence,source,description',
      '203.0.113.7,ip,90,abuse.ch,"C2 server, botnet X"',
      'evil.example,domain,0.7,,phishing',
      '198.51.100.0/24,cidr,60,internal,',
      'http://drop.example/payload,url,,,',
      'not-an-ip,ip,50,x,',
      '1.2.3.4,ip,150,x,',
      'thing,weird,50,x,',
    ].join('\n');
    const { entries, problems } = parseCsvFeed(csv, 'local.csv', 40);
    expect(entries).toEqual([
      {
        type: 'ip',
        value: '203.0.113.7',
        feed: 'local.csv',
        source: 'abuse.ch',
        confidence: 90,
        description: 'C2 server, botnet X',
      },
      {
        type: 'domain',
        value: 'evil.example',
        feed: 'local.csv',
        source: 'local.csv',
        confidence: 70,
        description: 'phishing',
      },
      {
        type: 'ip',
        value: '198.51.100.0/24',
        feed: 'local.csv',
        source: 'internal',
        confidence: 60,
      },
      {
        type: 'url',
        value: 'http://drop.example/payload',
        feed: 'local.csv',
        source: 'local.csv',
        confidence: 40,
      },
    ]);
    expect(problems).toEqual([
      'line 7: not a valid ip: "not-an-ip"',
      'line 8: confidence must be 0..100 (or 0..1)',
      'line 9: unknown indicator type "weird"',
    ]);
  });

  it('reads a bare list without a header, inferring types', () => {
    const { entries } = parseCsvFeed('203.0.113.9\nbad.example\n', 'list.txt');
    expect(entries.map((e) => `${e.type}:${e.value}:${e.confidence}`)).toEqual([
      'ip:203.0.113.9:50',
      'domain:bad.example:50',
    ]);
  });
});

describe('STIX 2.1 bundles', () => {
  const bundle = {
    type: 'bundle',
    id: 'bundle--1',
    objects: [
      { type: 'identity', id: 'identity--acme', name: 'ACME CERT' },
      {
        type: 'indicator',
        id: 'indicator--1',
        created_by_ref: 'identity--acme',
        name: 'C2 infrastructure',
        confidence: 85,
        pattern_type: 'stix',
        pattern: "[ipv4-addr:value = '203.0.113.7'] OR [domain-name:value = 'c2.example']",
      },
      {
        type: 'indicator',
        id: 'indicator--2',
        pattern_type: 'stix',
        pattern: "[file:hashes.'SHA-256' = '" + 'ab'.repeat(32) + "']",
      },
      {
        type: 'indicator',
        id: 'indicator--3',
        pattern_type: 'stix',
        pattern: "[url:value = 'http://old.example/']",
        valid_until: '2020-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        id: 'indicator--4',
        revoked: true,
        pattern: "[domain-name:value = 'gone.example']",
      },
      { type: 'indicator', id: 'indicator--5', pattern_type: 'sigma', pattern: 'title: x' },
      { type: 'malware', id: 'malware--1', name: 'X' },
    ],
  };

  it('turns indicator patterns into entries with source and confidence, skipping expired and revoked ones', () => {
    const { entries, problems } = parseStixBundle(JSON.stringify(bundle), 'acme.json', NOW);
    expect(entries).toEqual([
      {
        type: 'ip',
        value: '203.0.113.7',
        feed: 'acme.json',
        source: 'ACME CERT',
        confidence: 85,
        description: 'C2 infrastructure',
      },
      {
        type: 'domain',
        value: 'c2.example',
        feed: 'acme.json',
        source: 'ACME CERT',
        confidence: 85,
        description: 'C2 infrastructure',
      },
      {
        type: 'hash',
        value: 'ab'.repeat(32),
        feed: 'acme.json',
        source: 'acme.json',
        confidence: 50,
      },
    ]);
    expect(problems).toEqual(['indicator--5: pattern_type "sigma" is not supported']);
  });

  it('says why a file is not a bundle', () => {
    expect(parseStixBundle('{', 'x', NOW).problems[0]).toMatch(/^not JSON/);
    expect(parseStixBundle('{"type":"x"}', 'x', NOW).problems).toEqual([
      'not a STIX bundle (type "bundle" with an objects array)',
    ]);
  });
});

describe('IntelIndex', () => {
  const index = new IntelIndex([
    { type: 'ip', value: '203.0.113.7', feed: 'a', source: 'A', confidence: 90 },
    { type: 'ip', value: '198.51.100.0/24', feed: 'b', source: 'B', confidence: 60 },
    { type: 'domain', value: 'evil.example', feed: 'c', source: 'C', confidence: 70 },
    { type: 'hash', value: 'ab'.repeat(32), feed: 'd', source: 'D', confidence: 40 },
  ]);

  it('matches exact values, parent domains, CIDR ranges and URL hosts', () => {
    expect(index.size).toBe(4);
    expect(index.match('ip', '203.0.113.7').map((m) => m.feed)).toEqual(['a']);
    expect(index.match('ip', '198.51.100.200')).toEqual([
      {
        type: 'ip',
        indicator: '198.51.100.200',
        matched: '198.51.100.0/24',
        feed: 'b',
        source: 'B',
        confidence: 60,
      },
    ]);
    expect(index.match('ip', '198.51.101.1')).toEqual([]);
    expect(index.match('domain', 'cdn.EVIL.example').map((m) => m.matched)).toEqual([
      'evil.example',
    ]);
    expect(index.match('domain', 'notevil.example')).toEqual([]);
    expect(index.match('url', 'https://x.evil.example/a?b=1').map((m) => m.matched)).toEqual([
      'evil.example',
    ]);
    expect(index.match('url', 'http://198.51.100.3:8080/').map((m) => m.matched)).toEqual([
      '198.51.100.0/24',
    ]);
    expect(index.match('hash', 'AB'.repeat(32)).map((m) => m.feed)).toEqual(['d']);
    expect(index.match('ip', 'garbage')).toEqual([]);
  });
});

describe('alertContextOf', () => {
  it('takes the requester, tool, resource and indicators of an event, bounded', () => {
    expect(
      alertContextOf({
        requesterId: 'alice',
        action: 'upload',
        resource: 's3://bucket/key',
        iocs: { ips: ['203.0.113.7'], domains: [] },
      }),
    ).toEqual({
      requesterId: 'alice',
      tools: ['upload'],
      resources: ['s3://bucket/key'],
      iocs: { ips: ['203.0.113.7'] },
    });
    expect(alertContextOf({ action: 'search' })).toEqual({ tools: ['search'] });
  });
});
