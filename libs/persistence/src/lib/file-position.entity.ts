import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** How far sentinel-ingest has read a tailed file, saved after its lines were published. */
@Entity({ name: 'file_positions' })
export class FilePositionEntity {
  /** Which tailer (an ingest deployment may run several with different patterns). */
  @PrimaryColumn({ name: 'source', type: 'text' })
  source!: string;

  @PrimaryColumn({ type: 'text' })
  path!: string;

  @Column({ type: 'bigint' })
  dev!: string;

  @Column({ type: 'bigint' })
  ino!: string;

  @Column({ type: 'bigint' })
  offset!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
