#!/usr/bin/env node
// The `callback-router` command. Each command lives in core/commands/<name>.ts.
import { Command, CommanderError } from 'commander'
import { VERSION } from './version'
import { CliExit, EXIT_USAGE } from './commands/context'
import * as validate from './commands/validate'
import * as variables from './commands/variables'
import * as profiles from './commands/profiles'
import * as start from './commands/start'
import * as publish from './commands/publish'
import * as deadLetters from './commands/dead-letters'
import * as attempts from './commands/attempts'
import * as test from './commands/test'
import * as demoReceiver from './commands/demo-receiver'

/** Command modules, in the order `--help` lists them. */
const commands: Array<{ register(program: Command): void }> = [validate, variables, profiles, demoReceiver, start, publish, deadLetters, attempts, test]

export function buildProgram(): Command {
  const program = new Command()
  program
    .name('callback-router')
    .description('Delivers webhooks (callbacks) for events published on NATS, per callback profile.')
    .version(VERSION)
    .option('-c, --config <file>', 'settings file (default: $CALLBACK_ROUTER_CONFIG or config/callback-router.json)')
    .showHelpAfterError()
    .exitOverride()
  for (const c of commands) c.register(program)
  for (const sub of program.commands) sub.exitOverride()
  return program
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (e) {
    if (e instanceof CliExit) {
      if (e.message) process.stderr.write(e.message + '\n')
      return e.exitCode
    }
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; anything else is bad usage.
      return e.exitCode === 0 ? 0 : EXIT_USAGE
    }
    process.stderr.write(`callback-router: ${(e as Error).stack ?? String(e)}\n`)
    return 1
  }
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code
  })
}
