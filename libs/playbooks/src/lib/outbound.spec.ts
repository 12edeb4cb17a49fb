import { checkDestination, classifyAddress, hostAllowed } from './outbound';

describe('outbound destinations', () => {
  it('classifies addresses, IPv4-mapped IPv6 included', () => {
    const cases: [string, string][] = [
      ['93.184.216.34', 'public'],
      ['10.1.2.3', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', 'public'],
      ['192.168.0.1', 'private'],
      ['100.64.0.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fd12:3456::1', 'private'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['2606:4700::1111', 'public'],
      ['2001:db8::1', 'reserved'],
    ];
    expect(cases.map(([ip]) => [ip, classifyAddress(ip)])).toEqual(cases);
  });

  it('matches exact hosts and *. suffixes, never the bare suffix', () => {
    expect(hostAllowed('hooks.slack.com', ['hooks.slack.com'])).toBe(true);
    expect(hostAllowed('a.splunk.example', ['*.splunk.example'])).toBe(true);
    expect(hostAllowed('splunk.example', ['*.splunk.example'])).toBe(false);
    expect(hostAllowed('evilsplunk.example', ['*.splunk.example'])).toBe(false);
    expect(hostAllowed('x.example', [])).toBe(false);
  });

  it('refuses hosts off the list, and private addresses after resolution unless allowed', async () => {
    const dns: Record<string, string[]> = {
      'hooks.example': ['93.184.216.34'],
      'sneaky.example': ['93.184.216.34', '169.254.169.254'],
    };
    const resolve = (h: string) =>
      dns[h] ? Promise.resolve(dns[h]) : Promise.reject(new Error('ENOTFOUND'));
    const policy = {
      allowHosts: ['hooks.example', 'sneaky.example', 'gone.example', '127.0.0.1'],
      allowPrivate: false,
    };
    expect(await checkDestination('hooks.example', policy, resolve)).toEqual({
      ok: true,
      addresses: ['93.184.216.34'],
    });
    expect(await checkDestination('sneaky.example', policy, resolve)).toEqual({
      ok: false,
      reason:
        'sneaky.example resolves to 169.254.169.254, a link-local address (private destinations are not allowed)',
    });
    expect(await checkDestination('other.example', policy, resolve)).toEqual({
      ok: false,
      reason: 'other.example is not on the outbound allow-list',
    });
    expect(await checkDestination('gone.example', policy, resolve)).toEqual({
      ok: false,
      reason: 'gone.example does not resolve: ENOTFOUND',
    });
    expect((await checkDestination('127.0.0.1', policy, resolve)).ok).toBe(false);
    expect(await checkDestination('127.0.0.1', { ...policy, allowPrivate: true }, resolve)).toEqual(
      {
        ok: true,
        addresses: ['127.0.0.1'],
      },
    );
  });
});
