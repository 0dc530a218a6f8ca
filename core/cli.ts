#!/usr/bin/env node
// The `callback-router` command. Each command lives in core/commands/<name>.ts.
import { Command, CommanderError } from 'commander'
import { VERSION } from './version'
import { CliExit, EXIT_USAGE } from './cli/context'
import * as validate from './cli/validate'
import * as variables from './cli/variables'
import * as profiles from './cli/profiles'
import * as start from './cli/start'
import * as publish from './cli/publish'
import * as deadLetters from './cli/dead-letters'
import * as attempts from './cli/attempts'
import * as test from './cli/test'
import * as demoReceiver from './cli/demo-receiver'
import * as plugin from './cli/plugin'

/** Command modules, in the order `--help` lists them. */
const commands: Array<{ register(program: Command): void }> = [validate, variables, profiles, demoReceiver, start, publish, deadLetters, attempts, test, plugin]

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
