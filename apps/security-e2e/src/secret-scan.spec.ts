import { findSecrets } from './secret-scan';

describe(findSecrets.name, () => {
  const secret = 'ward_abcdefgh_S3cr3t-value/with+chars';

  it('finds a secret as it is, base64-encoded and URL-encoded, with its line', () => {
    const log = [
      'starting',
      `auth header Bearer ${secret}`,
      `basic ${Buffer.from(secret).toString('base64')}`,
      `url https://x/?k=${encodeURIComponent(secret)}`,
    ].join('\n');
    expect(findSecrets(log, [secret])).toEqual([
      { secret, form: 'plain', line: 2 },
      { secret, form: 'base64', line: 3 },
      { secret, form: 'url-encoded', line: 4 },
    ]);
  });

  it('finds nothing in a clean log and refuses secrets too short to scan for', () => {
    expect(findSecrets('api-key:laptop (3f2a) refused: invalid', [secret])).toEqual([]);
    expect(() => findSecrets('x', ['short'])).toThrow(/too short/);
  });
});
