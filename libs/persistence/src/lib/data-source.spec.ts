import { createDataSource, MIGRATIONS } from './data-source';
import { CooldownStore } from './redis/cooldown.store';

describe('data source', () => {
  it('never synchronizes the schema and knows every migration in order', () => {
    const sut = createDataSource({ url: 'postgres://u:p@127.0.0.1:1/db' });
    expect(sut.options.synchronize).toBe(false);
    expect(sut.options.migrationsRun).toBe(false);
    const timestamps = MIGRATIONS.map((m) => Number(/(\d{13})$/.exec(m.name)?.[1]));
    expect(timestamps.every((t) => Number.isFinite(t))).toBe(true);
    expect([...timestamps].sort((a, b) => a - b)).toEqual(timestamps);
  });
});

describe('cooldown keys', () => {
  it('scope by tenant, detector and agent', () => {
    expect(CooldownStore.key('acme', 'bot:1', 'call_rate_spike')).toBe(
      'cooldown:acme:call_rate_spike:bot:1',
    );
  });
});
