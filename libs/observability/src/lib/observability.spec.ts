import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

describe(MetricsService.name, () => {
  it('gives each instance its own registry so two apps in one process do not collide', async () => {
    const a = new MetricsService('a');
    const b = new MetricsService('b');
    a.counter({ name: 'ward_test_total', help: 'h' }).inc();
    b.counter({ name: 'ward_test_total', help: 'h' }).inc(2);
    expect(await a.render()).toMatch(/ward_test_total\{service="a"\} 1/);
    expect(await b.render()).toMatch(/ward_test_total\{service="b"\} 2/);
  });

  it('returns the same metric when asked twice and enforces the ward_ prefix', () => {
    const sut = new MetricsService('s');
    expect(sut.counter({ name: 'ward_x_total', help: 'h' })).toBe(
      sut.counter({ name: 'ward_x_total', help: 'h' }),
    );
    expect(() => sut.gauge({ name: 'x', help: 'h' })).toThrow(/ward_/);
  });

  it('prefixes the default process metrics too', async () => {
    expect(await new MetricsService('s').render()).toContain('ward_process_cpu_user_seconds_total');
  });
});

describe(ReadinessService.name, () => {
  it('is ready only when every check passes, and says which failed', async () => {
    const sut = new ReadinessService();
    sut.register('db', () => Promise.resolve(true));
    sut.register('kafka', () => Promise.resolve('not joined'));
    sut.register('boom', () => Promise.reject(new Error('down')));
    const report = await sut.report();
    expect(report.ready).toBe(false);
    expect(report.checks).toEqual({
      db: { ok: true },
      kafka: { ok: false, detail: 'not joined' },
      boom: { ok: false, detail: 'down' },
    });
  });
});
