import { PassThrough } from 'node:stream';
import { reframeBanner, relayReframed } from './output';

describe('Schemathesis output relay', () => {
  it('reframes pytest-style banners and leaves every other line alone', () => {
    expect(
      reframeBanner(
        '============================= 2 warnings in 5.37s ==============================',
      ),
    ).toBe('[schemathesis] 2 warnings in 5.37s');
    expect(reframeBanner('=================================== SUMMARY ====================')).toBe(
      '[schemathesis] SUMMARY',
    );
    expect(reframeBanner('  566 generated, 566 passed, 30 skipped')).toBe(
      '  566 generated, 566 passed, 30 skipped',
    );
    expect(reframeBanner('a == b')).toBe('a == b');
    expect(reframeBanner('')).toBe('');
  });

  it('relays lines split across chunks, and a last line without a newline', async () => {
    const from = new PassThrough();
    const to = new PassThrough();
    let written = '';
    to.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
    relayReframed(from, to);
    const ended = new Promise((resolve) => from.on('end', resolve));
    from.write('first line\n==== 1 warn');
    from.write('ing in 4.20s ====\nlast');
    from.end();
    await ended;
    expect(written).toBe('first line\n[schemathesis] 1 warning in 4.20s\nlast\n');
  });
});
