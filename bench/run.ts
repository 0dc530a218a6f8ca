// `npm run bench`: the end-to-end benchmark (A raw loop, B naive forwarder, P BullMQ peer,
// C the daemon, one and two; throughput in rotated rounds, latency, CPU and RSS; `--backlog`
// for the memory-under-backlog run). The whole run is described in bench/suite.ts, the
// figures in docs/performance.md.
//   npm run bench -- [--events N] [--rounds 3] [--concurrency 64] [--latency-seconds 10] [--rate 1000]
//                    [--variants json,get,urlencoded,encrypted,fanout] [--cpu-prof <dir>]
//                    [--backlog [--backlog-events 100000] [--backlog-wait 70]] [--out <file>]
import { optionsFromArgv, runBench } from './suite'

runBench(optionsFromArgv(process.argv.slice(2))).catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`)
  process.exitCode = 1
})
