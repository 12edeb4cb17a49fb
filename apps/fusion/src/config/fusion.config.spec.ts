import { undocumentedEnvRows } from '@ward/config';
import { join } from 'node:path';
import { fusionEnv, loadFusionConfig } from './fusion.config';

describe('loadFusionConfig', () => {
  it('uses the documented defaults', () => {
    const sut = loadFusionConfig({});
    expect(sut.correlation).toEqual({ windowMs: 1_800_000, intelMinConfidence: 50 });
    expect(sut.intel).toEqual({
      feeds: [],
      outbound: { allowHosts: [], allowPrivate: false },
      refreshMs: 60_000,
      defaultConfidence: 50,
    });
    expect(sut.consumerGroup).toBe('ward-fusion');
    expect(sut.http.port).toBe(3003);
  });

  it('allows the feed URLs’ own hosts unless an allow-list is given', () => {
    const feeds = 'https://intel.example.com/a.csv,/etc/ward/b.json,http://[2001:db8::1]/c.json';
    expect(loadFusionConfig({ FUSION_INTEL_FEEDS: feeds }).intel.outbound.allowHosts).toEqual([
      'intel.example.com',
      '2001:db8::1',
    ]);
    expect(
      loadFusionConfig({ FUSION_INTEL_FEEDS: feeds, FUSION_INTEL_ALLOW_HOSTS: '*.example.com' })
        .intel.outbound,
    ).toEqual({ allowHosts: ['*.example.com'], allowPrivate: false });
  });

  it.each([
    [
      'FUSION_CORRELATION_WINDOW_SECONDS',
      '0',
      /FUSION_CORRELATION_WINDOW_SECONDS must be at least 1/,
    ],
    ['FUSION_INTEL_MIN_CONFIDENCE', '101', /FUSION_INTEL_MIN_CONFIDENCE must be at most 100/],
    [
      'FUSION_INTEL_FEEDS',
      'ftp://x/feed.csv',
      /FUSION_INTEL_FEEDS: ftp:\/\/x\/feed.csv is neither/,
    ],
    ['FUSION_CONSUMER_GROUP', 'a b', /FUSION_CONSUMER_GROUP/],
  ])('refuses a bad %s by name', (name, value, message) => {
    expect(() => loadFusionConfig({ [name]: value })).toThrow(message);
  });

  it('is documented row for row in README.md', () => {
    expect(undocumentedEnvRows(fusionEnv, join(__dirname, '../../../../README.md'))).toEqual([]);
  });
});
