import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { loadConfig } from '../core/config/settings'

const root = join(__dirname, '..')
const dockerDir = join(root, 'docker')
const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8')

interface Healthcheck {
  test?: string[] | string
  disable?: boolean
}
interface Service {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: Healthcheck
  network_mode?: string
  profiles?: string[]
}
interface Compose {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}
const compose = parse(readFileSync(join(dockerDir, 'compose.yml'), 'utf8')) as Compose
const nats = compose.services.nats
const daemon = compose.services['callback-router']

/** Docker's instructions: continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
const stages: string[][] = []
for (const line of instructions) {
  if (/^FROM\s/i.test(line)) stages.push([])
  stages.at(-1)?.push(line)
}
const runtime = stages.at(-1) ?? []

t.test('Dockerfile: multi-stage, the build stage with dev dependencies, Node 20 slim', async (t) => {
  t.ok(stages.length >= 2, 'at least two stages')
  t.match(stages[0][0], /^FROM node:20-slim AS build$/)
  t.ok(stages[0].some((l) => /^RUN npm ci( |$)/.test(l) && !l.includes('--omit=dev')), 'the build stage installs every dependency')
  t.ok(stages[0].some((l) => /^RUN npm run build/.test(l)), 'and compiles')
  t.match(runtime[0], /^FROM node:20-slim AS runtime$/)
})

t.test('Dockerfile: the runtime stage has production dependencies only, the build output, and runs as a non-root user', async (t) => {
  t.ok(runtime.some((l) => /^RUN npm ci .*--omit=dev/.test(l)), 'npm ci --omit=dev')
  t.ok(runtime.some((l) => /^COPY --from=build \/app\/dist/.test(l)), 'dist copied from the build stage')
  t.notOk(runtime.some((l) => /^COPY (\.|\S+) \.\/?$/.test(l) && !l.includes('--from')), 'no source tree in the runtime image')
  const users = runtime.filter((l) => /^USER\s/i.test(l))
  t.equal(users.length, 1, 'one USER')
  const user = users[0]?.split(/\s+/)[1]
  t.ok(user && !['root', '0', '0:0'].includes(user), `USER ${user} is not root`)
  t.ok(runtime.findIndex((l) => /^USER\s/.test(l)) > runtime.findIndex((l) => /npm ci/.test(l)), 'USER comes after the install')
})

t.test('Dockerfile: starts the daemon and has a healthcheck hitting /healthz', async (t) => {
  const cmd = runtime.filter((l) => /^CMD\s/.test(l))
  t.equal(cmd.length, 1)
  t.same(JSON.parse(cmd[0].slice(4)), ['node', 'dist/core/cli.js', 'start'])
  const health = runtime.find((l) => /^HEALTHCHECK\s/.test(l))
  t.ok(health, 'HEALTHCHECK present')
  t.match(health, /http:\/\/127\.0\.0\.1:8787\/healthz/)
  t.match(JSON.parse(readFileSync(join(root, 'config', 'callback-router.json'), 'utf8')).status, { port: 8787 }, 'the port the shipped settings listen on')
})

t.test('Dockerfile: the build context leaves out node_modules, dist and the local NATS store', async (t) => {
  const ignore = readFileSync(join(dockerDir, 'Dockerfile.dockerignore'), 'utf8').split('\n')
  for (const entry of ['node_modules', 'dist', '.data', '.git']) t.ok(ignore.includes(entry), entry)
})

t.test('compose: NATS 2 with JetStream on a named volume, healthchecked', async (t) => {
  t.match(nats.image, /^nats:2(-|$)/)
  t.ok(nats.command?.includes('-js'), '-js')
  const sd = nats.command?.indexOf('-sd') ?? -1
  t.ok(sd >= 0, 'a store dir')
  const storeDir = nats.command?.[sd + 1]
  const volume = nats.volumes?.find((v) => v.split(':')[1] === storeDir)
  t.ok(volume, `a volume on ${storeDir}`)
  const name = volume!.split(':')[0]
  t.ok(compose.volumes && name in compose.volumes, `the named volume ${name} is declared`)
  t.ok(nats.healthcheck?.test, 'healthcheck')
  t.match(String(nats.healthcheck?.test), /healthz/)
  t.match(String(nats.healthcheck?.test), new RegExp(`:${nats.command?.[nats.command.indexOf('-m') + 1]}/`), 'on the monitoring port it enables')
})

t.test('compose: the daemon builds from docker/Dockerfile, mounts ../config read-only and talks to nats:4222', async (t) => {
  t.ok(daemon.build, 'built')
  const dockerfilePath = resolve(dockerDir, daemon.build!.context, daemon.build!.dockerfile)
  t.equal(dockerfilePath, join(dockerDir, 'Dockerfile'))
  t.ok(daemon.volumes?.includes('../config:/app/config:ro'), '../config mounted read-only')
  t.equal(daemon.environment?.NATS_URL, 'nats://nats:4222')
  for (const v of daemon.volumes ?? []) {
    const [source, , mode] = v.split(':')
    t.ok(existsSync(resolve(dockerDir, source)), `${source} exists`)
    t.equal(mode, 'ro', `${source} is read-only`)
  }
  t.same(daemon.depends_on, { nats: { condition: 'service_healthy' } })
  t.match(String(daemon.healthcheck?.test), /http:\/\/127\.0\.0\.1:8787\/readyz/)
})

t.test('compose: the settings override listens on 0.0.0.0 and reads the mounted profiles', async (t) => {
  const configVar = daemon.environment?.CALLBACK_ROUTER_CONFIG
  const mount = daemon.volumes?.find((v) => v.split(':')[1] === configVar)
  t.ok(mount, `${configVar} is mounted`)
  t.equal(mount!.split(':')[0], './callback-router.docker.json')
  const settings = JSON.parse(readFileSync(join(dockerDir, 'callback-router.docker.json'), 'utf8'))
  t.same(settings.status, { host: '0.0.0.0', port: 8787 })
  t.ok(daemon.ports?.some((p) => p.endsWith(':8787')), 'the status port is published')
  // Same layout in the image (/app/docker/…, /app/config) as in the repository (docker/, config/).
  const config = await loadConfig({
    configFile: join(dockerDir, 'callback-router.docker.json'),
    env: { DEMO_API_KEY: 'k', DEMO_AES_KEY: 'demo-aes-256-key-0123456789abcde', DEMO_WHSEC: 'whsec_ZGVtby13ZWJob29rLXNpZ25pbmctc2VjcmV0IQ==' },
  })
  t.same(
    config.diagnostics.filter((d) => d.level === 'error'),
    [],
  )
  t.equal(config.profilesDir, join(root, 'config', 'profiles'))
  t.ok(config.profiles.length > 0, 'the shipped profiles load')
  t.same(config.settings.nats.servers, ['nats://nats:4222'])
})

t.test('compose: every secret the shipped profiles read has a default in the daemon environment', async (t) => {
  for (const name of ['DEMO_API_KEY', 'DEMO_AES_KEY', 'DEMO_WHSEC']) t.match(daemon.environment?.[name], new RegExp(`^\\$\\{${name}:-.+\\}$`), name)
})

t.test('compose: the optional demo receiver shares the daemon network, where the profiles deliver', async (t) => {
  const demo = compose.services['demo-receiver']
  t.same(demo.profiles, ['demo'])
  t.equal(demo.network_mode, 'service:callback-router')
  t.same(demo.command, ['node', 'dist/core/cli.js', 'demo-receiver', '--port', '8788'])
})

// `docker compose` (v2 plugin) or Debian's `docker-compose` (scripts/setup.sh --test installs
// it): either checks the file without a Docker engine.
function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose']
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose']
  return undefined
}

t.test('compose config accepts compose.yml', async (t) => {
  const cmd = composeCommand()
  if (!cmd) {
    t.fail('neither `docker compose` nor `docker-compose` is installed: run scripts/setup.sh --test')
    return
  }
  const r = spawnSync(cmd[0], [...cmd.slice(1), '-f', join(dockerDir, 'compose.yml'), 'config', '--quiet'], { encoding: 'utf8', cwd: root })
  t.equal(r.status, 0, r.stderr)
})
