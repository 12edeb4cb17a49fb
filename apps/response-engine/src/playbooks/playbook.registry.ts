import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type Playbook } from '@ward/contracts';
import { formatProblem, parsePlaybook, type PlaybookProblem } from '@ward/playbooks';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ActionRegistry } from '../actions/action.registry';
import { RESPONSE_CONFIG, type ResponseConfig } from '../config/response.config';

interface Loaded {
  readonly version: string;
  readonly playbook?: Playbook;
  readonly problems: readonly PlaybookProblem[];
}

/**
 * The playbooks of RESPONSE_PLAYBOOK_DIRS, reloaded when a file changes. A
 * broken file is refused with its problems (file:line:column) and the others
 * keep running; a playbook id used by two files keeps the first.
 */
@Injectable()
export class PlaybookRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PlaybookRegistry.name);
  private readonly files = new Map<string, Loaded>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(RESPONSE_CONFIG) private readonly config: ResponseConfig,
    private readonly actions: ActionRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.logger.warn(`reloading playbooks failed: ${String(error)}`),
      );
    }, this.config.reloadMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  get playbooks(): Playbook[] {
    const byId = new Map<string, Playbook>();
    for (const [, loaded] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (loaded.playbook !== undefined && !byId.has(loaded.playbook.id)) {
        byId.set(loaded.playbook.id, loaded.playbook);
      }
    }
    return [...byId.values()];
  }

  /** Every file with its problems, for the API. */
  status(): { file: string; playbookId: string | null; problems: string[] }[] {
    return [...this.files]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([file, l]) => ({
        file,
        playbookId: l.playbook?.id ?? null,
        problems: l.problems.map(formatProblem),
      }));
  }

  async reload(): Promise<void> {
    const seen = new Set<string>();
    for (const dir of this.config.playbookDirs) {
      let names: string[];
      try {
        names = (await readdir(resolve(dir))).filter((n) => /\.ya?ml$/.test(n));
      } catch (error) {
        this.logger.warn(`playbook folder ${dir}: ${(error as Error).message}`);
        continue;
      }
      for (const name of names.sort()) {
        const path = join(resolve(dir), name);
        seen.add(path);
        try {
          const info = await stat(path);
          const version = `${info.mtimeMs}:${info.size}`;
          if (this.files.get(path)?.version === version) {
            continue;
          }
          const parsed = parsePlaybook(await readFile(path, 'utf8'), path, this.actions.names);
          if (parsed.ok) {
            this.files.set(path, { version, playbook: parsed.playbook, problems: [] });
            this.logger.log(
              `playbook ${parsed.playbook.id} v${parsed.playbook.version} loaded from ${path}`,
            );
          } else {
            this.files.set(path, { version, problems: parsed.problems });
            for (const p of parsed.problems) {
              this.logger.error(`playbook refused: ${formatProblem(p)}`);
            }
          }
        } catch (error) {
          this.logger.warn(`playbook ${path}: ${(error as Error).message}`);
        }
      }
    }
    for (const path of [...this.files.keys()]) {
      if (!seen.has(path)) {
        this.files.delete(path);
        this.logger.log(`playbook file ${path} removed`);
      }
    }
  }
}
