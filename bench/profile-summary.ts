// Prints where a V8 CPU profile's time went (see profile.ts). For the profiles
// BENCH_CPU_PROF=<dir> makes the pipeline benchmarks write.
// Usage: node scripts/run-ts.mjs bench/profile-summary.ts <file.cpuprofile> [top]
//          [--within <function>] [--inclusive f,g,...] [--json]
import { summarizeProfile } from './profile';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const within = option('--within');
const json = args.includes('--json');
if (json) {
  args.splice(args.indexOf('--json'), 1);
}
const inclusive = (option('--inclusive') ?? '').split(',').filter(Boolean);
const [file, topArg] = args;
if (file === undefined) {
  console.error(
    'usage: profile-summary.ts <file.cpuprofile> [top] [--within <function>] [--inclusive f,g] [--json]',
  );
  process.exit(2);
}
const s = summarizeProfile(file, {
  ...(within !== undefined && { within }),
  inclusive,
  top: Number(topArg ?? 25),
});
if (json) {
  // One JSON line, for bench/run.mjs.
  console.log(JSON.stringify(s));
  process.exit(0);
}
const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
console.log(
  `${file}${within === undefined ? '' : ` (within ${within})`}: ${s.sampledSeconds.toFixed(1)} s sampled; idle ${pct(s.idle)}, GC ${pct(s.gc)}, busy ${pct(s.busy)}`,
);
console.log('\nfunctions by self time:');
for (const f of s.functions) {
  console.log(`  ${pct(f.share)}  ${f.name}`);
}
console.log('\nfiles and packages by self time:');
for (const p of s.packages) {
  console.log(`  ${pct(p.share)}  ${p.name}`);
}
if (inclusive.length > 0) {
  console.log('\ninclusive (function on the stack):');
  for (const [name, share] of Object.entries(s.inclusive)) {
    console.log(`  ${pct(share)}  ${name}`);
  }
}
