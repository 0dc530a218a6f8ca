// The console's static front end (index.html, app.js, style.css, the source map), built
// by scripts/build-console.mjs into dist/console and served with a strict CSP.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { CallbackRouterError } from '../errors'
import { securityHeaders } from './http'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

/** dist/console beside the compiled server, or the repository's dist/ when run from source. */
export function defaultAssetsDir(): string {
  const candidates = [join(__dirname, '..', '..', 'console'), join(__dirname, '..', '..', 'dist', 'console')]
  return candidates.find((d) => existsSync(join(d, 'app.js'))) ?? candidates[candidates.length - 1]
}

export async function serveAsset(res: ServerResponse, assetsDir: string, path: string): Promise<void> {
  const name = path.slice(1)
  // Only the flat file names the build writes: no traversal, no directories.
  if (!/^[a-z0-9-]+\.(html|js|css|js\.map)$/.test(name)) throw new CallbackRouterError('CONSOLE_NOT_FOUND')
  let body: Buffer
  try {
    body = await readFile(join(assetsDir, name))
  } catch {
    throw new CallbackRouterError(name === 'index.html' ? 'CONSOLE_NOT_BUILT' : 'CONSOLE_NOT_FOUND', [assetsDir])
  }
  securityHeaders(res)
  res.setHeader('content-type', CONTENT_TYPES[extname(name)] ?? 'application/octet-stream')
  res.setHeader('cache-control', 'no-cache')
  res.end(body)
}
