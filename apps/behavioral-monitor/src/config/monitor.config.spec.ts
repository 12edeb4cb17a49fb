import { undocumentedEnvRows } from '@ward/config';
import { join } from 'node:path';
import { loadMonitorConfig, monitorEnv } from './monitor.config';

describe('loadMonitorConfig', () => {
  it('uses the documented defaults', () => {
    const sut = loadMonitorConfig({});
    expect(sut.callRate).toEqual({
      windowMs: 60_000,
      alpha: 0.2,
      sigma: 4,
      warmupWindows: 3,
      sampleSize: 10,
    });
    expect(sut.cooldownMs).toBe(300_000);
    expect(sut.consumerGroup).toBe('ward-behavioral-monitor');
  });

  it.each([
    ['MONITOR_WINDOW_SECONDS', '5', /MONITOR_WINDOW_SECONDS must be at least 10/],
    ['MONITOR_EMA_ALPHA', '1.5', /MONITOR_EMA_ALPHA must be at most 1/],
    ['MONITOR_SIGMA', 'high', /MONITOR_SIGMA must be a number/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must use postgres/],
  ])('refuses a bad %s by name', (name, value, message) => {
    expect(() => loadMonitorConfig({ [name]: value })).toThrow(message);
  });

  it('is documented row for row in README.md', () => {
    expect(undocumentedEnvRows(monitorEnv, join(__dirname, '../../../../README.md'))).toEqual([]);
  });
});
