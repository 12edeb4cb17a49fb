import { runCli } from './cli/run';

/** `ward`: started by apps/cli/bin/ward.mjs (`npx ward`, `npm run ward --`). */
const controller = new AbortController();
let interrupted = 0;
process.on('SIGINT', () => {
  interrupted += 1;
  if (interrupted > 1) {
    process.exit(130);
  }
  controller.abort();
});
process.on('SIGTERM', () => controller.abort());
// `ward tail | head`: the reader went away; stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    process.exit(0);
  }
  throw error;
});

void runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
  // Kafka and HTTP clients are closed by each command; this catches a stray timer.
  setTimeout(() => process.exit(code), 200).unref();
});
