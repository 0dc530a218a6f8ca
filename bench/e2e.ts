// Entry point of the end-to-end benchmark (see bench/suite.ts).
import { optionsFromArgv, runBench } from './suite'

runBench(optionsFromArgv(process.argv.slice(2))).catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`)
  process.exitCode = 1
})
