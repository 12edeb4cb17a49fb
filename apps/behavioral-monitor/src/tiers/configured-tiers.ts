import { Injectable } from '@nestjs/common';

/** Tiers operators (or response playbooks) configured, by tenant/agent key; every replica holds all. */
@Injectable()
export class ConfiguredTiers {
  private readonly tiers = new Map<string, number>();

  get(key: string): number | undefined {
    return this.tiers.get(key);
  }

  set(key: string, tier: number | null): void {
    if (tier === null) {
      this.tiers.delete(key);
    } else {
      this.tiers.set(key, tier);
    }
  }

  replaceAll(tiers: ReadonlyMap<string, number>): void {
    this.tiers.clear();
    for (const [k, v] of tiers) {
      this.tiers.set(k, v);
    }
  }
}
