// The package version, for User-Agent and --version.
import pkg from '../package.json'

export const VERSION: string = pkg.version
export const USER_AGENT = `callback-router/${VERSION}`
