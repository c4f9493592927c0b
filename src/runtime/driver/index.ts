/**
 * The conmon/runc driver: creates containers and execs under conmon, runs the OCI runtime's
 * other commands, and reads what conmon leaves behind (exit files, the k8s-file log, the
 * attach socket, the ctl FIFO). It decides nothing about container state (container/ does).
 */
export { ConmonDriver, monitorPaths, type RuntimeDriverOptions } from './driver.js';
export type {
  RuntimeDriver, RuntimeOptions, CreateOptions, Created, ExecOptions, ExecStarted, MonitorPaths, RuntimeState, ExitInfo,
} from './types.js';
export { OciRuntimeError } from './runtime-error.js';
export { ExitWatcher, readExitFile, waitExitFile, type ExitEvent } from './exit-watcher.js';
export { attach, type AttachStreams } from './attach.js';
export { resize, reopenLog } from './ctl.js';
export { readLog, readLogBatches, readCompressedLog, readCompressedLogBatches, type ReadLogOptions } from './log-reader.js';
export { isFullLine, parseLogLine, parseTimeNs, type LogEntry, type LogStream } from './k8s-log.js';
export { FakeDriver } from './fake.js';
