import { type Output } from '../cli/context';

/** `[██████░░░░]  60%  600/1000 records  12:00:05 event time  3.1 s`: one line, fixed width. */
export function progressLine(input: {
  readonly done: number;
  readonly total: number;
  readonly width: number;
  readonly elapsedMs: number;
  readonly eventTimeMs?: number;
  readonly unit?: string;
}): string {
  const fraction = input.total === 0 ? 1 : Math.min(1, input.done / input.total);
  const filled = Math.round(fraction * input.width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(input.width - filled)}`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const parts = [
    `[${bar}]`,
    pct,
    `${input.done}/${input.total} ${input.unit ?? 'records'}`,
    ...(input.eventTimeMs !== undefined
      ? [`event time ${new Date(input.eventTimeMs).toISOString().slice(0, 19).replace('T', ' ')}`]
      : []),
    `${(input.elapsedMs / 1000).toFixed(1)} s`,
  ];
  return parts.join('  ');
}

/** Redraws the progress line in place on a terminal; prints nothing elsewhere. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly out: Output,
    private readonly total: number,
    private readonly unit = 'records',
  ) {}

  update(done: number, eventTimeMs?: number, force = false): void {
    if (!this.out.isTTY) {
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastDraw < 80 && done < this.total) {
      return;
    }
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, this.out.columns - 70));
    this.out.write(
      `\r${progressLine({ done, total: this.total, width, elapsedMs: now - this.started, unit: this.unit, ...(eventTimeMs !== undefined && { eventTimeMs }) })}\u001b[K`,
    );
  }

  finish(): void {
    if (this.out.isTTY) {
      this.out.write('\n');
    }
  }
}
