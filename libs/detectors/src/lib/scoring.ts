import { type Severity } from '@ward/contracts';

/**
 * Maps a z-score to a 0..1 anomaly score: 0.5 at the threshold, 1 at three
 * times the threshold, linear between.
 */
export function zToScore(z: number, sigma: number): number {
  if (z < sigma) {
    return Math.max(0, (0.5 * z) / sigma);
  }
  return Math.min(1, 0.5 + (0.5 * (z - sigma)) / (2 * sigma));
}

export function severityForScore(score: number): Severity {
  if (score >= 0.9) {
    return 'critical';
  }
  if (score >= 0.7) {
    return 'high';
  }
  if (score >= 0.5) {
    return 'medium';
  }
  return 'low';
}

export function riskScore(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 100);
}
