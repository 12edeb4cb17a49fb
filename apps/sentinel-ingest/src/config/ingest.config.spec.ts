import { ConfigError, undocumentedEnvRows } from '@ward/config';
import { join } from 'node:path';
import { loadIngestConfig, ingestEnv } from './ingest.config';

describe('loadIngestConfig', () => {
  it('builds a typed config from defaults', () => {
    const sut = loadIngestConfig({});
    expect(sut.http).toEqual({ host: '127.0.0.1', port: 3001 });
    expect(sut.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(sut.limits.maxFutureSkewMs).toBe(300_000);
  });

  it('names the bad setting', () => {
    expect(() =>
      loadIngestConfig({ INGEST_MAX_RECORDS: '0', KAFKA_BROKERS: 'not a broker' }),
    ).toThrow(ConfigError);
    expect(() => loadIngestConfig({ INGEST_MAX_RECORDS: '0' })).toThrow(
      /INGEST_MAX_RECORDS must be at least 1/,
    );
    expect(() => loadIngestConfig({ KAFKA_BROKERS: 'not a broker' })).toThrow(/KAFKA_BROKERS/);
  });

  it('is documented row for row in README.md', () => {
    expect(undocumentedEnvRows(ingestEnv, join(__dirname, '../../../../README.md'))).toEqual([]);
  });
});
