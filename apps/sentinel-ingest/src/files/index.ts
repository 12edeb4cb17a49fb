export { FileTailer, LineDeliveryError } from './file-tailer';
export { FOLDER_GLOB } from './file-discovery';
export { lineId } from './line-id';
export type {
  FileFailure,
  FilePosition,
  FileStats,
  LineSink,
  PollReport,
  PositionStore,
  TailedLine,
  TailerClock,
  TailerLogger,
  TailerOptions,
} from './file-tailer.types';
