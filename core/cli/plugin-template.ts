// The files `plugin new <name>` writes: a plain-JavaScript CommonJS plugin (JSDoc types,
// checked by editors with `// @ts-check`), no build step and no runtime dependency, so the
// daemon loads it from any folder; callback-router is only a devDependency, for its test.

/** The one event a new plugin starts with. */
export const SCAFFOLD_EVENT = 'message_status'

export function packageJson(name: string): string {
  return JSON.stringify({
    name: `callback-router-plugin-${name}`,
    version: '0.1.0',
    description: `The ${name} channel for callback-router: events, variable catalog, payload schema and retry policy.`,
    main: 'index.js',
    files: ['index.js', `${SCAFFOLD_EVENT}.schema.json`, 'README.md'],
    scripts: { test: 'node --test', check: 'callback-router plugin check .' },
    devDependencies: { 'callback-router': '*' },
    engines: { node: '>=20.18.1' },
  }, null, 2) + '\n'
}

export function payloadSchema(name: string): string {
  const str = (description: string, example: string, more: Record<string, unknown> = {}) => ({ type: 'string', ...more, description, examples: [example] })
  return JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${name} ${SCAFFOLD_EVENT}`,
    description: `Status of one outgoing ${name} message. Upstream may add fields: they are accepted and reachable as variables.`,
    type: 'object',
    additionalProperties: true,
    required: ['id', 'to', 'status'],
    properties: {
      id: str(`Message id returned by the ${name} send API.`, 'msg_7d2b0c9e4f1a', { minLength: 1, maxLength: 256 }),
      to: str('Recipient, E.164.', '+14155550123', { minLength: 1 }),
      status: str('sent (handed over), delivered, read or failed.', 'delivered', { enum: ['sent', 'delivered', 'read', 'failed'] }),
      error: {
        type: 'object',
        description: 'Why the message failed; code "0" when it did not.',
        additionalProperties: true,
        properties: {
          code: str('Platform error code ("0": no error).', '0'),
          description: str('What the error code means.', 'No error'),
        },
      },
      timestamp: str('When the status was reported, ISO-8601 UTC.', '2026-11-24T10:00:04Z', { format: 'date-time' }),
      ref: str('The customer\'s own reference, passed with the send request.', 'order-1042'),
    },
  }, null, 2) + '\n'
}

export function indexJs(name: string): string {
  return `// @ts-check
'use strict'
// The ${name} channel for callback-router. Plain CommonJS: the daemon loads this file as
// written (no build step), listed in "plugins" of its settings. Types come from JSDoc.

const messageStatus = require('./${SCAFFOLD_EVENT}.schema.json')

/**
 * The variable catalog read off a payload schema, so the schema is the one place where a
 * field's type, description and example are written: every property with \`examples\`;
 * nested objects as \`a.b\`, array items as \`a[n].b\` (callback-router's built-ins read
 * their schemas the same way).
 * @param {any} schema a draft-07 object schema
 * @param {string} [prefix]
 * @returns {import('callback-router').VariableSpec[]}
 */
function catalogFromSchema(schema, prefix = '') {
  /** @type {import('callback-router').VariableSpec[]} */
  const out = []
  for (const [key, prop] of Object.entries(schema.properties || {})) {
    const name = prefix + key
    if (Array.isArray(prop.examples) && prop.examples.length > 0) {
      const type = Array.isArray(prop.type) ? prop.type.find((/** @type {string} */ t) => t !== 'null') : prop.type
      out.push({ name, type, description: String(prop.description || ''), example: prop.examples[0] })
    }
    if (prop.properties) out.push(...catalogFromSchema(prop, name + '.'))
    if (prop.items && prop.items.properties) out.push(...catalogFromSchema(prop.items, name + '[n].'))
  }
  return out
}

/** @type {import('callback-router').ChannelPlugin} */
const plugin = {
  // The subject token (<prefix>.${name}.<event>) and the profiles' "channel".
  name: '${name}',
  title: '${name.toUpperCase()}',
  events: {
    ${SCAFFOLD_EVENT}: {
      description: 'Status of an outgoing ${name} message: sent, delivered, read or failed.',
      payloadSchema: messageStatus,
      variables: [
        ...catalogFromSchema(messageStatus),
        // Derived by toVariables below; listed so that profiles may use it.
        { name: 'final', type: 'boolean', description: 'True once the status can no longer change (delivered, read or failed).', example: true },
      ],
    },
  },
  // The channel's cap on retries (and the default count), and the wait between them.
  retry: { maxRetries: 4, intervalSeconds: 60, backoff: 'fixed' },
  // Derived variables, merged over the data fields. Must be total and pure: the
  // conformance kit calls it twice on the sample and on the sample cut to required fields.
  toVariables: (_envelope, data) => ({ final: data.status !== 'sent' }),
}

module.exports = plugin
`
}

export function testJs(name: string): string {
  return `'use strict'
// Run with \`npm test\` (node --test). The conformance kit proves the plugin the way the
// daemon will use it: contract, examples against the schema, every format, encryption.
const test = require('node:test')
const assert = require('node:assert/strict')
const { checkPluginConformance, sampleData } = require('callback-router/testing')
const plugin = require('..')

test('${name} passes the callback-router conformance kit', () => {
  const report = checkPluginConformance(plugin)
  assert.deepEqual(report.failures, [])
})

test('a delivered message is final, a sent one is not', () => {
  const data = sampleData(plugin.events.${SCAFFOLD_EVENT})
  const envelope = { id: 'evt_1', account: 'acme', data }
  assert.equal(plugin.toVariables?.(envelope, data).final, true)
  assert.equal(plugin.toVariables?.(envelope, { ...data, status: 'sent' }).final, false)
})
`
}

export function readme(name: string): string {
  return `# callback-router-plugin-${name}

The \`${name}\` channel for callback-router: events published on
\`<prefix>.${name}.<event>\` become callbacks to every profile with \`"channel": "${name}"\`.

| file | what it holds |
|---|---|
| \`index.js\` | the plugin: name, title, events, retry policy, \`toVariables\` (plain CommonJS, JSDoc types) |
| \`${SCAFFOLD_EVENT}.schema.json\` | the event's payload schema; its \`examples\` are the variable catalog |
| \`test/${name}.test.js\` | the conformance kit (\`callback-router/testing\`) and a test of \`toVariables\` |

## Work on it

1. Describe each event's \`data\` in a \`<event>.schema.json\`, with \`description\` and
   \`examples\` on every field a profile may use; add the event to \`events\` in \`index.js\`.
2. \`npx callback-router plugin check .\`: the contract, the examples against the schema, a
   sample rendered in every format and with encryption, \`toVariables\` total and pure, every
   variable reachable. Exit 1 names the member to fix.
3. \`npm test\` (\`node --test\`): the same kit, plus your own tests.
4. Load it: list this folder (or the package name, once installed) in \`plugins\` of the
   daemon settings, then \`callback-router validate\` and \`callback-router variables ${name}\`.

\`\`\`json
{ "plugins": ["./plugins/${name}"] }
\`\`\`

Publishers send \`{ id, account, data }\` on \`callbacks.${name}.${SCAFFOLD_EVENT}\`, or with the
typed client: \`createPublisher({ servers, plugins: [require('callback-router-plugin-${name}')] })\`.
`
}
