import { undocumentedEnvRows } from '@ward/config';
import { join } from 'node:path';
import { loadMonitorConfig, monitorEnv } from './monitor.config';

describe('loadMonitorConfig', () => {
  it('uses the documented defaults', () => {
    const sut = loadMonitorConfig({});
    expect(sut.profile).toEqual(
      expect.objectContaining({
        windowMs: 60_000,
        allowedLatenessMs: 10_000,
        alpha: 0.2,
        sigma: 4,
      }),
    );
    expect(sut.profile.weights.calls).toBe(1);
    expect(sut.cooldownMs).toBe(300_000);
    expect(sut.consumerGroup).toBe('ward-behavioral-monitor');
  });

  it.each([
    ['MONITOR_WINDOW_SECONDS', '5', /MONITOR_WINDOW_SECONDS must be at least 10/],
    ['MONITOR_EMA_ALPHA', '1.5', /MONITOR_EMA_ALPHA must be at most 1/],
    ['MONITOR_SIGMA', 'high', /MONITOR_SIGMA must be a number/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must use postgres/],
    [
      'MONITOR_WEIGHTS',
      'calls=1.5',
      /MONITOR_WEIGHTS: weights\.calls must be in \[0, 1\], got 1\.5/,
    ],
    ['MONITOR_WEIGHTS', 'latency=0.5', /MONITOR_WEIGHTS: latency is not a metric/],
    [
      'MONITOR_ALLOWED_LATENESS_SECONDS',
      '120',
      /MONITOR_ALLOWED_LATENESS_SECONDS: allowedLatenessMs must be an integer in \[0, 60000\]/,
    ],
  ])('refuses a bad %s by name', (name, value, message) => {
    expect(() => loadMonitorConfig({ [name]: value })).toThrow(message);
  });

  it('is documented row for row in README.md', () => {
    expect(undocumentedEnvRows(monitorEnv, join(__dirname, '../../../../README.md'))).toEqual([]);
  });
});
