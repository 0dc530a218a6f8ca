// What every command shares: the global --config option, config loading, exits.
import type { Command } from 'commander'
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/settings'
import { formatDiagnostic, hasErrors } from '../diagnostics'
import { loadKvProfiles } from './active-store'
import { CallbackRouterError, type ErrorCode } from '../errors'

/** Exit codes: 0 success, 1 a failure the command reports, 2 bad usage. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class CliExit extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message)
  }
}

/** Stops the command: the message goes to stderr and the process exits with `exitCode`. */
export function fail(message: string, exitCode = EXIT_FAILURE): never {
  throw new CliExit(exitCode, message)
}

/** Stops the command with a catalogued error: its message to stderr, its exit code (default 1). */
export function failWith(code: ErrorCode, ...args: unknown[]): never {
  const e = new CallbackRouterError(code, args)
  throw new CliExit(e.exitCode ?? EXIT_FAILURE, e.message)
}

/** The global options of the program, wherever the command sits. */
export function globalOptions(cmd: Command): { config?: string } {
  let root = cmd
  while (root.parent) root = root.parent
  return root.opts<{ config?: string }>()
}

/**
 * Loads settings, plugins and profiles for a command. Warnings go to stderr;
 * errors fail the command unless `tolerateErrors` (listings still show what loaded).
 */
export async function loadCliConfig(cmd: Command, options: Omit<LoadOptions, 'configFile'> & { tolerateErrors?: boolean } = {}): Promise<LoadedConfig> {
  const config = await loadConfig({ ...options, configFile: globalOptions(cmd).config })
  if (!options.settingsOnly) await loadKvProfiles(config)
  const lines = config.diagnostics.map((d) => formatDiagnostic(d))
  if (hasErrors(config.diagnostics) && !options.tolerateErrors) fail(lines.join('\n'))
  if (lines.length) process.stderr.write(lines.join('\n') + '\n')
  return config
}

/** Reads `--data <json>` or `--data @file.json` (curl's convention). */
export async function readDataOption(value: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises')
  const text = value.startsWith('@') ? await readFile(value.slice(1), 'utf8').catch((e: Error) => fail(`cannot read ${value.slice(1)}: ${e.message}`, EXIT_USAGE)) : value
  try {
    return JSON.parse(text)
  } catch (e) {
    return fail(`--data is not valid JSON: ${(e as Error).message}`, EXIT_USAGE)
  }
}
