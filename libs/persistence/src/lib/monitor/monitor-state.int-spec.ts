import { infraEnv, uniqueTag } from '@ward/testing';
import { type DataSource } from 'typeorm';
import { createDataSource } from '../data-source';
import {
  type ProfileRow,
  MonitorStateRepository,
  PROFILES_PER_STATEMENT,
} from './monitor-state.repository';

const group = uniqueTag('monitor-state');
const topic = 'ward.behavioral-events.v1';

function profile(i: number, state: string, riskScore = 10): ProfileRow {
  return {
    tenantId: 'tenant-a',
    agentId: `agent-${i}`,
    state,
    behaviorTier: 1,
    riskScore,
    windowsClosed: i,
    lateEvents: 0,
    lastEventAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)),
    baselines: { call_count: { mean: i, stddev: 1, windows: 3 } },
    // Every other agent has an open cooldown, the rest none.
    cooldowns: i % 2 === 0 ? [['call_rate_spike:high', i, i + 300_000]] : null,
  };
}

describe('MonitorStateRepository checkpoints against PostgreSQL', () => {
  let dataSource: DataSource;
  let sut: MonitorStateRepository;
  // Spans three upsert statements, the last one short.
  const count = 2 * PROFILES_PER_STATEMENT + 7;

  beforeAll(async () => {
    dataSource = await createDataSource({ url: infraEnv().DATABASE_URL }).initialize();
    sut = new MonitorStateRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.query(`DELETE FROM agent_profiles WHERE consumer_group = $1`, [group]);
    await dataSource?.query(`DELETE FROM monitor_offsets WHERE consumer_group = $1`, [group]);
    await dataSource?.destroy();
  });

  const stored = async () => {
    const loaded = await sut.loadPartition(group, topic, 4);
    return {
      nextOffset: loaded.nextOffset,
      states: new Map(loaded.profiles.map((p) => [p.agentId, p.state])),
      cooldowns: new Map(loaded.profiles.map((p) => [p.agentId, p.cooldowns])),
    };
  };

  it('writes a checkpoint larger than one statement whole, with its offset', async () => {
    await sut.checkpoint({
      group,
      topic,
      partition: 4,
      nextOffset: '1000',
      profiles: Array.from({ length: count }, (_, i) => profile(i, `v1-${i}`)),
      tierChanges: [],
      controls: [],
    });
    const { nextOffset, states, cooldowns } = await stored();
    expect(nextOffset).toBe('1000');
    expect(states.size).toBe(count);
    expect(cooldowns.get('agent-2')).toEqual([['call_rate_spike:high', 2, 300_002]]);
    expect(cooldowns.get('agent-3')).toBeNull();
    expect(states.get('agent-0')).toBe('v1-0');
    expect(states.get(`agent-${count - 1}`)).toBe(`v1-${count - 1}`);
  });

  it('writes nothing of a checkpoint whose last statement fails', async () => {
    const profiles = Array.from({ length: count }, (_, i) =>
      // The last row's risk score overflows its smallint column: the third statement fails.
      profile(i, `v2-${i}`, i === count - 1 ? 100_000 : 20),
    );
    await expect(
      sut.checkpoint({
        group,
        topic,
        partition: 4,
        nextOffset: '2000',
        profiles,
        tierChanges: [],
        controls: [],
      }),
    ).rejects.toThrow(/out of range/);
    const { nextOffset, states } = await stored();
    expect(nextOffset).toBe('1000');
    expect([...states.values()].filter((s) => s.startsWith('v2-'))).toEqual([]);
    expect(states.size).toBe(count);
  });
});
