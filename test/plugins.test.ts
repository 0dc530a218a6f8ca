import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { builtins } from '../plugins'
import { checkPlugin, type EventSpec, type VariableSpec } from '../core/plugin/contract'
import { createAjv } from '../core/config/schema'
import { sampleData, parseVariablePath } from '../core/plugin/sample-data'
import { catalogFromSchema } from '../core/plugin/schema-catalog'
import { PluginRegistry } from '../core/plugin/registry'

const everyEvent = builtins.flatMap((p) => Object.entries(p.events).map(([event, spec]) => ({ channel: p.name, event, spec })))

t.test('the built-ins are sms, email, voice, whatsapp and default, in that order', async (t) => {
  t.same(builtins.map((p) => p.name), ['sms', 'email', 'voice', 'whatsapp', 'default'])
})

t.test('every built-in passes the plugin contract check', async (t) => {
  for (const p of builtins) t.same(checkPlugin(p), [], p.name)
})

t.test("events, retry caps, intervals and backoff are DESIGN's channel table", async (t) => {
  const table = Object.fromEntries(builtins.map((p) => [p.name, { events: Object.keys(p.events), ...p.retry, catchAll: p.catchAll ?? false }]))
  t.same(table, {
    sms: { events: ['sms-send'], maxRetries: 3, intervalSeconds: 10, backoff: 'fixed', catchAll: false },
    email: { events: ['email-send'], maxRetries: 4, intervalSeconds: 60, backoff: 'fixed', catchAll: false },
    voice: { events: ['voice'], maxRetries: 4, intervalSeconds: 60, backoff: 'fixed', catchAll: false },
    whatsapp: {
      events: ['message_status', 'incoming_message', 'payment_status', 'message_template_status_update', 'phone_number_quality_update'],
      maxRetries: 4,
      intervalSeconds: 60,
      backoff: 'fixed',
      catchAll: false,
    },
    default: { events: ['*'], maxRetries: 4, intervalSeconds: 60, backoff: 'exponential', catchAll: true },
  })
})

t.test("every event's catalog examples put together form a data object its payload schema accepts", async (t) => {
  const ajv = createAjv()
  for (const { channel, event, spec } of everyEvent) {
    const validate = ajv.compile(spec.payloadSchema)
    const data = sampleData(spec)
    t.ok(validate(data), `${channel} ${event}: ${JSON.stringify(validate.errors)}`)
    // Every catalog name reads back its own example from the sample.
    for (const v of spec.variables) t.same(readPath(data, v.name, spec), v.example, `${channel} ${event} ${v.name}`)
  }
})

t.test('the payload schemas refuse garbage: the core ids and status are required', async (t) => {
  const ajv = createAjv()
  for (const { channel, event, spec } of everyEvent) {
    const validate = ajv.compile(spec.payloadSchema)
    t.notOk(validate('not an object'), `${channel} ${event} refuses a string`)
    t.notOk(validate([]), `${channel} ${event} refuses an array`)
    if (channel === 'default') t.ok(validate({ anything: 1 }), 'the default channel takes any object')
    else t.notOk(validate({}), `${channel} ${event} refuses an empty object`)
  }
  const status = ajv.compile(builtins[0].events['sms-send'].payloadSchema)
  t.notOk(status({ id: 'a', to: '+1', status: 'Lost' }), 'an SMS status outside Sent/Delivered/Failed/Undelivered is refused')
})

t.test('the payload schemas accept fields upstream adds', async (t) => {
  const ajv = createAjv()
  for (const { channel, event, spec } of everyEvent) {
    const validate = ajv.compile(spec.payloadSchema)
    t.ok(validate({ ...sampleData(spec), added_later: { x: 1 } }), `${channel} ${event}`)
  }
})

t.test('catalog names never start with "_", are unique per event, and every example has its declared type', async (t) => {
  for (const { channel, event, spec } of everyEvent) {
    const names = spec.variables.map((v) => v.name)
    t.same(names.filter((n) => n.startsWith('_')), [], `${channel} ${event}`)
    t.equal(new Set(names).size, names.length, `${channel} ${event}: unique names`)
    for (const v of spec.variables) {
      t.ok(v.description.length > 3, `${channel} ${event} ${v.name} has a description`)
      t.ok(hasType(v), `${channel} ${event} ${v.name}: example ${JSON.stringify(v.example)} is a ${v.type}`)
    }
  }
})

t.test('payload schemas are draft-07 files beside their plugin, with a description on every property', async (t) => {
  for (const p of builtins) {
    const dir = join(__dirname, '..', 'plugins', p.name)
    const files = (await readdir(dir)).filter((f) => f.endsWith('.schema.json'))
    t.equal(files.length, Object.keys(p.events).length, `${p.name}: one schema file per event`)
    for (const f of files) {
      const schema = JSON.parse(await readFile(join(dir, f), 'utf8'))
      t.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#', f)
      t.same(undescribed(schema, ''), [], `${f}: properties without a description`)
    }
  }
})

t.test("WhatsApp catalogs carry the platform's documented names", async (t) => {
  const wa = builtins.find((p) => p.name === 'whatsapp')!
  const names = (event: string) => wa.events[event].variables.map((v) => v.name)
  t.same(missing(names('message_status'), ['id', 'custom_response', 'timestamp', 'mobile', 'message', 'status', 'phone_number', 'error', 'error_code', 'ref', 'ref1', 'ref2', 'price']), [])
  for (const n of ['body', 'mime_type', 'media_url', 'from', 'name', 'type', 'created_at', 'reply_to', 'wanumber', 'mobile', 'custom_response', 'message', 'contacts', 'location']) {
    t.ok(names('incoming_message').includes(n), `incoming_message has ${n}`)
  }
  for (const n of ['id', 'time', 'event', 'message_template_id', 'message_template_name', 'message_template_language', 'reason', 'callback_profile_id', 'company_id', 'other_info']) {
    t.ok(names('message_template_status_update').includes(n), `message_template_status_update has ${n}`)
  }
  for (const n of ['display_phone_number', 'event', 'current_limit']) t.ok(names('phone_number_quality_update').includes(n), `phone_number_quality_update has ${n}`)
  for (const n of ['contacts[n].name', 'location.latitude', 'interactive.id']) t.ok(names('incoming_message').includes(n), `incoming_message has ${n}`)
  const statuses = (wa.events.message_status.payloadSchema as { properties: { status: { enum: string[] } } }).properties.status.enum
  t.same(missing(statuses, ['sent', 'delivered', 'read', 'failed']), [])
})

t.test('SMS, email and voice catalogs cover ids, from/to, status with description and error code, timestamps, price and references', async (t) => {
  const names = (channel: string) => Object.values(builtins.find((p) => p.name === channel)!.events)[0].variables.map((v) => v.name)
  t.same(missing(names('sms'), ['id', 'from', 'to', 'status', 'description', 'error.code', 'units', 'price', 'submitted_at', 'delivered_at', 'ref']), [])
  t.same(missing(names('email'), ['id', 'from', 'to', 'status', 'description', 'error.code', 'price', 'timestamp', 'ref']), [])
  t.same(missing(names('voice'), ['id', 'from', 'to', 'status', 'description', 'error.code', 'duration', 'units', 'price', 'start_time', 'end_time', 'custom']), [])
  const sms = builtins[0].events['sms-send'].payloadSchema as { properties: { status: { enum: string[] } } }
  t.same(sms.properties.status.enum, ['Sent', 'Delivered', 'Failed', 'Undelivered'])
})

t.test('the default channel describes its generic event under "*" only, and the registry answers any event name with it', async (t) => {
  const registry = new PluginRegistry(builtins)
  const d = registry.get('default')!
  t.same(Object.keys(d.events), ['*'])
  t.same(d.events['*'].payloadSchema.type, 'object')
  t.equal(registry.eventSpec('default', 'order-shipped'), d.events['*'])
  t.same(missing(d.events['*'].variables.map((v) => v.name), ['id', 'status', 'timestamp', 'message']), [])
})

t.test('core/ never imports a channel plugin; only the built-in list is imported', async (t) => {
  const offenders: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory()) await walk(path)
      else if (e.name.endsWith('.ts') && /from '(\.\.\/)+plugins\/[^']+'/.test(await readFile(path, 'utf8'))) offenders.push(path)
    }
  }
  await walk(join(__dirname, '..', 'core'))
  t.same(offenders, [])
})

t.test('sampleData sets dotted paths, [n] array paths, and literal keys the schema declares', async (t) => {
  const spec: EventSpec = {
    description: 'x',
    payloadSchema: {
      type: 'object',
      properties: {
        'parts[n]': { type: 'string', description: 'a literal key' },
        contacts: { type: 'array', description: 'cards', items: { type: 'object', properties: { name: { type: 'string', description: 'n' } } } },
        'a.b': { type: 'string', description: 'a key with a dot' },
      },
    },
    variables: [
      { name: 'error.code', type: 'string', description: 'nested', example: 'E1' },
      { name: 'parts[n]', type: 'string', description: 'literal', example: 'SAMPLE' },
      { name: 'contacts[n].name', type: 'string', description: 'array', example: 'Jane' },
      { name: 'contacts[n].phone', type: 'string', description: 'array', example: '+1' },
      { name: 'grid[n][n]', type: 'integer', description: 'nested arrays', example: 7 },
      { name: 'a.b', type: 'string', description: 'literal dotted key', example: 'ab' },
      { name: 'location', type: 'object', description: 'parent', example: { lat: 1, name: 'old' } },
      { name: 'location.name', type: 'string', description: 'child', example: 'new' },
    ],
  }
  t.same(sampleData(spec), {
    'parts[n]': 'SAMPLE',
    'a.b': 'ab',
    location: { lat: 1, name: 'new' },
    error: { code: 'E1' },
    contacts: [{ name: 'Jane', phone: '+1' }],
    grid: [[7]],
  })
  t.same(parseVariablePath('items[3].id'), [{ key: 'items' }, { index: 3 }, { key: 'id' }])
  t.throws(() => parseVariablePath('a..b'))
  t.throws(() => parseVariablePath('a[x]'))
  t.throws(() => parseVariablePath('a.'))
})

t.test('catalogs are read off the schema: properties with examples, nested objects and array items, in order', async (t) => {
  const vars = catalogFromSchema({
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Id.', examples: ['x'] },
      error: { type: 'object', description: 'Error.', properties: { code: { type: 'string', description: 'Code.', examples: ['E'] } } },
      list: { type: 'array', description: 'List.', examples: [[{ n: 1 }]], items: { type: 'object', properties: { n: { type: 'integer', description: 'N.', examples: [1] } } } },
      untyped: { description: 'Untyped.', examples: [2.5] },
      hidden: { type: 'string', description: 'No example: not offered.' },
    },
  })
  t.same(vars.map((v) => [v.name, v.type]), [['id', 'string'], ['error.code', 'string'], ['list', 'array'], ['list[n].n', 'integer'], ['untyped', 'number']])
})

/** The expected names a list lacks (order aside). */
function missing(have: readonly string[], want: readonly string[]): string[] {
  return want.filter((n) => !have.includes(n))
}

/** Reads a catalog name back out of data the way sampleData wrote it. */
function readPath(data: unknown, name: string, spec: EventSpec): unknown {
  let node = data
  for (const s of parseVariablePath(name, spec.payloadSchema)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string | number, unknown>)['key' in s ? s.key : s.index]
  }
  return node
}

function hasType(v: VariableSpec): boolean {
  const x = v.example
  switch (v.type) {
    case 'string': return typeof x === 'string'
    case 'number': return typeof x === 'number'
    case 'integer': return Number.isInteger(x)
    case 'boolean': return typeof x === 'boolean'
    case 'array': return Array.isArray(x)
    case 'object': return typeof x === 'object' && x !== null && !Array.isArray(x)
  }
}

/** JSON pointers of properties that lack a description. */
function undescribed(schema: Record<string, unknown>, at: string): string[] {
  const out: string[] = []
  for (const [k, p] of Object.entries((schema.properties as Record<string, Record<string, unknown>>) ?? {})) {
    if (typeof p.description !== 'string' || p.description === '') out.push(`${at}/${k}`)
    out.push(...undescribed(p, `${at}/${k}`))
    if (p.items && typeof p.items === 'object') out.push(...undescribed(p.items as Record<string, unknown>, `${at}/${k}/items`))
  }
  return out
}

t.test("docs/profiles.md lists every built-in event's variables where it says where the catalog came from", async (t) => {
  const doc = await readFile(join(__dirname, '..', 'docs', 'profiles.md'), 'utf8')
  for (const { channel, event, spec } of everyEvent) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${channel}\` / ${event === '*' ? 'any event' : `\`${event}\``} |`))
    t.ok(row, `${channel} ${event} has a row`)
    const listed = (row ?? '').split('|')[2]?.match(/`[^`]+`/g)?.map((s) => s.slice(1, -1)) ?? []
    t.same(listed, spec.variables.map((v) => v.name), `${channel} ${event}: the row lists the catalog, in order`)
  }
})
