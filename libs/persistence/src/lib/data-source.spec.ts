import { createDataSource, MIGRATIONS } from './data-source';

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
