import { evaluateCorpus, INJECTION_CORPUS, SENSITIVE_CORPUS } from './corpus';

describe('inline detector corpus', () => {
  const result = evaluateCorpus();

  it('reports precision and recall per class', () => {
    const table = (
      scores: Map<
        string,
        { tp: number; fp: number; fn: number; precision: number; recall: number }
      >,
    ) =>
      [...scores].map(
        ([cls, s]) =>
          `${cls.padEnd(22)} tp ${s.tp} fp ${s.fp} fn ${s.fn} precision ${s.precision.toFixed(2)} recall ${s.recall.toFixed(2)}`,
      );
    console.log(
      [
        'secrets and personal data:',
        ...table(result.sensitive),
        'prompt injection:',
        ...table(result.injection),
      ].join('\n'),
    );
    expect(result.sensitive.size).toBeGreaterThan(10);
  });

  it.each(['sensitive', 'injection'] as const)(
    '%s: overall precision and recall are at least 0.95',
    (which) => {
      const overall = result[which].get('overall')!;
      expect(overall.precision).toBeGreaterThanOrEqual(0.95);
      expect(overall.recall).toBeGreaterThanOrEqual(0.95);
    },
  );

  it.each(['sensitive', 'injection'] as const)('%s: every class recalls at least 0.8', (which) => {
    for (const [cls, s] of result[which]) {
      expect({ cls, recall: s.recall >= 0.8 }).toEqual({ cls, recall: true });
    }
  });

  it('has positives and near-misses for every class', () => {
    const positives = (cases: readonly { expect: readonly string[] }[]) =>
      new Set(cases.flatMap((c) => c.expect));
    expect(positives(SENSITIVE_CORPUS).size).toBe(21);
    expect(positives(INJECTION_CORPUS).size).toBe(7);
    expect(SENSITIVE_CORPUS.filter((c) => c.expect.length === 0).length).toBeGreaterThanOrEqual(30);
    expect(INJECTION_CORPUS.filter((c) => c.expect.length === 0).length).toBeGreaterThanOrEqual(10);
  });
});
