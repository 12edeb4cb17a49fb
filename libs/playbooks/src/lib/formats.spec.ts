import {
  formatCef,
  formatHec,
  formatLeef,
  formatSyslog,
  octetFrame,
  signWebhook,
  verifyWebhook,
} from './formats';

describe('CEF', () => {
  it('escapes pipes and backslashes in the header, and = \\ and newlines in extension values', () => {
    expect(
      formatCef({
        vendor: 'Ward',
        product: 'response|engine',
        version: '1.0',
        signatureId: 'data-exfiltration',
        name: 'Exfil to a\\b',
        severity: 8.4,
        extension: { suser: 'billing-bot', msg: 'a=b\\c\nnext', cs1: undefined, cnt: 3 },
      }),
    ).toBe(
      'CEF:0|Ward|response\\|engine|1.0|data-exfiltration|Exfil to a\\\\b|8|suser=billing-bot msg=a\\=b\\\\c\\nnext cnt=3',
    );
    expect(() =>
      formatCef({
        vendor: 'W',
        product: 'P',
        version: '1',
        signatureId: 's',
        name: 'n',
        severity: 1,
        extension: { 'bad key': 'x' },
      }),
    ).toThrow('must be alphanumeric');
  });
});

describe('LEEF', () => {
  it('writes LEEF 2.0 with ^ as delimiter, escaping it, tabs and newlines in values', () => {
    expect(
      formatLeef({
        vendor: 'Ward',
        product: 'Ward',
        version: '1.0',
        eventId: 'quarantine',
        attributes: { usrName: 'bot^1', msg: 'line1\nline2\tend', sev: 9 },
      }),
    ).toBe('LEEF:2.0|Ward|Ward|1.0|quarantine|^|usrName=bot\\^1^msg=line1\\nline2\\tend^sev=9');
  });
});

describe('syslog (RFC 5424)', () => {
  const base = {
    facility: 4,
    severity: 2,
    timestamp: new Date('2026-01-05T09:00:00.123Z'),
    hostname: 'ward-response-0',
    appName: 'ward',
    msgId: 'INCIDENT',
  };

  it('computes PRI, uses - for nil fields, escapes structured-data values and marks UTF-8 with a BOM', () => {
    expect(
      formatSyslog({
        ...base,
        structuredData: { 'incident@32473': { id: 'abc', note: 'say "hi" [x] \\ ok' } },
        message: 'Quarantined billing-bot — approved by ana',
      }),
    ).toBe(
      '<34>1 2026-01-05T09:00:00.123Z ward-response-0 ward - INCIDENT [incident@32473 id="abc" note="say \\"hi\\" [x\\] \\\\ ok"] \uFEFFQuarantined billing-bot — approved by ana',
    );
    expect(formatSyslog({ ...base, hostname: 'bad host' })).toBe(
      '<34>1 2026-01-05T09:00:00.123Z bad_host ward - INCIDENT -',
    );
    expect(() => formatSyslog({ ...base, facility: 24 })).toThrow('facility must be 0..23');
    expect(() => formatSyslog({ ...base, structuredData: { 'a b': {} } })).toThrow('SD name');
  });

  it('frames by octet count, in bytes, for TCP', () => {
    expect(octetFrame('<34>1 é').toString('utf8')).toBe('8 <34>1 é'); // six ASCII bytes and a two-byte é;
  });
});

describe('Splunk HEC', () => {
  it('writes the collector event envelope with time in seconds', () => {
    expect(
      JSON.parse(
        formatHec({
          time: new Date(1767603600500),
          host: 'h',
          source: 'ward',
          sourcetype: 'ward:incident',
          event: { a: 1 },
        }),
      ),
    ).toEqual({
      time: 1767603600.5,
      host: 'h',
      source: 'ward',
      sourcetype: 'ward:incident',
      event: { a: 1 },
    });
  });
});

describe('webhook signatures', () => {
  const body = '{"incident":"x"}';
  const now = 1767603600_000;

  it('signs t.body with HMAC-SHA256 (checked with openssl dgst -sha256 -hmac)', () => {
    expect(signWebhook('s3cret', body, now)).toBe(
      't=1767603600,v1=87cb9f7f52a3b10a55197aff727a0748b3027c93bb0a6b8cc6fba6b945970597',
    );
  });

  it('verifies, and refuses tampering, other secrets, stale timestamps and replays', () => {
    const header = signWebhook('s3cret', body, now);
    const seen = new Set<string>();
    const opts = { toleranceSeconds: 300, seen };
    expect(verifyWebhook('s3cret', header, body, now + 1000, opts)).toEqual({
      ok: true,
      timestamp: 1767603600,
    });
    expect(verifyWebhook('s3cret', header, body, now + 2000, opts)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(verifyWebhook('s3cret', header, `${body} `, now, { toleranceSeconds: 300 })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifyWebhook('other', header, body, now, { toleranceSeconds: 300 }).ok).toBe(false);
    expect(verifyWebhook('s3cret', header, body, now + 301_000, { toleranceSeconds: 300 })).toEqual(
      {
        ok: false,
        reason: 'timestamp outside the tolerance',
      },
    );
    expect(verifyWebhook('s3cret', undefined, body, now, { toleranceSeconds: 300 })).toEqual({
      ok: false,
      reason: 'missing or malformed signature header',
    });
  });
});
