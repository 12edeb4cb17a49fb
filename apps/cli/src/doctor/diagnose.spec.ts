import { makeStyle } from '../cli/style';
import {
  hostOf,
  postgresProblem,
  redisProblem,
  renderChecks,
  serviceResults,
  staleCheckpoints,
} from './diagnose';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
  code: 'ECONNREFUSED',
});
const service = {
  name: 'fusion',
  url: 'http://127.0.0.1:3003',
  tokenVar: 'FUSION_ADMIN_TOKEN',
  tokenSource: '.ward/dev-tokens.env',
  hasToken: true,
  health: { status: 200, body: 'ok' },
  ready: { status: 200, body: '{"ready":true,"checks":{}}' },
};

describe('ward doctor diagnosis', () => {
  it('names the host without credentials', () => {
    expect(hostOf('postgres://ward:secret@db.internal:5433/ward')).toBe('db.internal:5433');
  });

  it('says which dependency refused and how to start it', () => {
    expect(postgresProblem(refused, 'postgres://ward:ward@127.0.0.1:5432/ward', undefined)).toEqual(
      {
        name: 'postgres',
        status: 'fail',
        detail: 'PostgreSQL at 127.0.0.1:5432 refused the connection',
        fix: 'run `npm run infra -- up`; or set DATABASE_URL / --database-url',
      },
    );
    expect(redisProblem(refused, 'redis://127.0.0.1:6390', '--redis-url').fix).toBe(
      'run `npm run infra -- up`; check REDIS_URL (from --redis-url)',
    );
    const auth = Object.assign(new Error('password authentication failed for user "ward"'), {
      code: '28P01',
    });
    expect(postgresProblem(auth, 'postgres://ward:x@h:5432/ward', 'the environment')).toMatchObject(
      {
        detail: expect.stringContaining('refused the login') as string,
        fix: 'check DATABASE_URL (from the environment): the user or password is wrong',
      },
    );
  });

  it('tells a stopped service from an unready one, and a missing token from a wrong one', () => {
    expect(
      serviceResults({
        ...service,
        health: { error: new TypeError('fetch failed', { cause: refused }) },
      }),
    ).toEqual([
      {
        name: 'fusion',
        status: 'fail',
        detail: 'fusion at http://127.0.0.1:3003 refused the connection',
        fix: 'start Ward with `npm start` (in another terminal), or point --fusion-url at it',
      },
    ]);
    const unready = serviceResults({
      ...service,
      ready: {
        status: 503,
        body: '{"ready":false,"checks":{"kafka":{"ok":false,"detail":"no broker"},"postgres":{"ok":true}}}',
      },
      api: { status: 200, body: '{}' },
    });
    expect(unready[0]).toMatchObject({
      status: 'fail',
      detail: 'fusion is up but not ready: waiting for kafka (no broker)',
    });
    expect(
      serviceResults({ ...service, api: { status: 404, body: '{"message":"Not Found"}' } })[1],
    ).toMatchObject({
      status: 'fail',
      detail: "fusion's API is off: the service runs without FUSION_ADMIN_TOKEN",
    });
    expect(serviceResults({ ...service, api: { status: 401, body: '{}' } })[1]).toMatchObject({
      status: 'fail',
      detail:
        "fusion refused ward's token (FUSION_ADMIN_TOKEN from .ward/dev-tokens.env): it runs with a different FUSION_ADMIN_TOKEN",
    });
    expect(serviceResults({ ...service, hasToken: false })[1]).toMatchObject({
      status: 'fail',
      detail: "ward has no FUSION_ADMIN_TOKEN, so it cannot use fusion's API",
    });
    expect(
      serviceResults({ ...service, api: { status: 200, body: '{}' } }).map((r) => r.status),
    ).toEqual(['ok', 'ok']);
  });

  it('finds monitor checkpoints past the end of a recreated topic', () => {
    expect(
      staleCheckpoints(
        [
          { group: 'ward-behavioral-monitor', partition: 0, nextOffset: 462 },
          { group: 'ward-behavioral-monitor', partition: 1, nextOffset: 61 },
          { group: 'ward-behavioral-monitor', partition: 9, nextOffset: 5 },
        ],
        [
          { partition: 0, high: '61' },
          { partition: 1, high: '61' },
        ],
      ),
    ).toEqual([{ group: 'ward-behavioral-monitor', partition: 0, nextOffset: 462, high: 61 }]);
  });

  it('prints each check with its fix and a verdict', () => {
    const sut = renderChecks(
      [
        { name: 'kafka', status: 'ok', detail: 'Kafka answers' },
        { name: 'redis', status: 'fail', detail: 'Redis refused', fix: 'run it' },
      ],
      makeStyle(false),
    );
    expect(sut).toBe('✓ Kafka answers\n✗ Redis refused\n  → run it\n\n1 of 2 checks failed\n');
  });
});
