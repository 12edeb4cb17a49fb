import { undocumentedEnvRows } from '@ward/config';
import { join } from 'node:path';
import { loadPolicyConfig, policyEnv } from './policy.config';

describe('loadPolicyConfig', () => {
  it('uses the documented defaults', () => {
    const sut = loadPolicyConfig({});
    expect(sut.http.port).toBe(3005);
    expect(sut.consumerGroup).toBe('ward-policy-generator');
    expect(sut.windowMs).toBe(7 * 86_400_000);
    expect(sut.minConfidence).toBe(0.5);
    expect(sut.expiryMs).toBe(30 * 86_400_000);
    expect(sut.autoActivate.size).toBe(0);
    expect(sut.adminToken).toBeUndefined();
    expect(sut.bundleToken).toBeUndefined();
  });

  it('reads per-tenant auto-activation thresholds', () => {
    const sut = loadPolicyConfig({ POLICY_AUTO_ACTIVATE: 'acme=0.85,beta.eu=1' });
    expect([...sut.autoActivate]).toEqual([
      ['acme', 0.85],
      ['beta.eu', 1],
    ]);
  });

  it.each([
    ['POLICY_AUTO_ACTIVATE', 'acme=1.5', /POLICY_AUTO_ACTIVATE/],
    ['POLICY_AUTO_ACTIVATE', 'acme', /POLICY_AUTO_ACTIVATE/],
    ['POLICY_AUTO_ACTIVATE', 'acme=0.9,acme=0.8', /tenant acme is listed twice/],
    ['POLICY_MIN_CONFIDENCE', '2', /POLICY_MIN_CONFIDENCE must be at most 1/],
    ['POLICY_WINDOW_SECONDS', '5', /POLICY_WINDOW_SECONDS must be at least 60/],
    ['POLICY_CONSUMER_GROUP', 'a b', /POLICY_CONSUMER_GROUP/],
  ])('refuses a bad %s by name', (name, value, message) => {
    expect(() => loadPolicyConfig({ [name]: value })).toThrow(message);
  });

  it('refuses a bundle token equal to the admin token', () => {
    expect(() =>
      loadPolicyConfig({ POLICY_ADMIN_TOKEN: 'same-secret', POLICY_BUNDLE_TOKEN: 'same-secret' }),
    ).toThrow(/POLICY_BUNDLE_TOKEN: must differ/);
  });

  it('is documented row for row in README.md', () => {
    expect(undocumentedEnvRows(policyEnv, join(__dirname, '../../../../README.md'))).toEqual([]);
  });
});
