import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { FilePositionEntity } from './file-position.entity';

export interface StoredFilePosition {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly offset: number;
}

@Injectable()
export class FilePositionRepository {
  private readonly repo: Repository<FilePositionEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(FilePositionEntity);
  }

  async load(source: string): Promise<StoredFilePosition[]> {
    const rows = await this.repo.findBy({ source });
    return rows.map((r) => ({
      path: r.path,
      dev: Number(r.dev),
      ino: Number(r.ino),
      offset: Number(r.offset),
    }));
  }

  async save(source: string, positions: readonly StoredFilePosition[]): Promise<void> {
    if (positions.length === 0) {
      return;
    }
    await this.repo.upsert(
      positions.map((p) => ({
        source,
        path: p.path,
        dev: String(p.dev),
        ino: String(p.ino),
        offset: String(p.offset),
      })),
      ['source', 'path'],
    );
  }

  async remove(source: string, paths: readonly string[]): Promise<void> {
    if (paths.length === 0) {
      return;
    }
    await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(FilePositionEntity)
      .where('source = :source AND path IN (:...paths)', { source, paths })
      .execute();
  }
}
