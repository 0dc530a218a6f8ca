// The plugin kit's checks: checkPluginConformance (callback-router/testing) on the
// built-ins, the fax fixture and broken variants, each failure named by member.
import t from 'tap'
import { builtins } from '../plugins'
import sms from '../plugins/sms'
import type { ChannelPlugin } from '../core/plugin/contract'
import { checkPluginConformance, assertPluginConformance } from '../core/testing'
import type { ConformanceReport } from '../core/testing'

const smsSend = sms.events['sms-send']

function failing(r: ConformanceReport): string[] {
  return r.failures.map((f) => `${f.check} ${f.member}`)
}

t.test('every built-in plugin passes checkPluginConformance', async (t) => {
  for (const p of builtins) {
    const r = checkPluginConformance(p)
    t.same(r.failures, [], `${p.name} conforms`)
    t.equal(r.plugin, p.name)
    const checks = new Set(r.checks.map((c) => c.check))
    for (const c of ['contract', 'schema', 'examples', 'reachable', 'render', 'encryption'] as const) t.ok(checks.has(c), `${p.name}: ${c} was checked`)
    const formats = r.checks.filter((c) => c.check === 'render').map((c) => c.detail.split(' ')[0])
    for (const f of ['json', 'urlencoded', 'form', 'query']) t.ok(formats.includes(f), `${p.name}: rendered as ${f}`)
    t.equal(r.checks.filter((c) => c.check === 'encryption').length, 6 * Object.keys(p.events).length, `${p.name}: every algorithm, every event`)
  }
})

t.test('the fax fixture (toVariables and its own formatter) conforms, its formatter rendered too', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain CommonJS plugin, as an operator writes it
  const fax = require('./fixtures/plugins/fax') as ChannelPlugin
  const r = assertPluginConformance(fax)
  t.ok(r.checks.some((c) => c.check === 'render' && c.detail.startsWith('fax-xml')))
  t.ok(r.checks.some((c) => c.check === 'toVariables' && c.ok))
})

t.test('a wrong example, a missing example of a required field and an unreachable name are named by member', async (t) => {
  const variables = smsSend.variables.map((v) => (v.name === 'status' ? { ...v, example: 'Delivred' } : v)).filter((v) => v.name !== 'to')
  const broken = checkPluginConformance({ ...sms, events: { 'sms-send': { ...smsSend, variables } } })
  t.notOk(broken.ok)
  t.same(failing(broken).sort(), ['examples events.sms-send.variables (to)', 'examples events.sms-send.variables[2] (status)'])
  t.match(broken.failures.find((f) => f.member.includes('(status)'))?.detail, /must be one of "Sent", "Delivered"/)
  t.match(broken.failures.find((f) => f.member.includes('(to)'))?.detail, /missing required property "to"/)
  const ghost = checkPluginConformance({ ...sms, events: { 'sms-send': { ...smsSend, variables: [...smsSend.variables, { name: 'ghost.field', type: 'string', description: 'x', example: undefined }] } } })
  t.same(failing(ghost), [`reachable events.sms-send.variables[${smsSend.variables.length}] (ghost.field)`])
})

t.test('toVariables must be total and pure: a throw, a mutation, a changing answer and a "_" name each fail', async (t) => {
  let n = 0
  const cases: Array<[string, ChannelPlugin['toVariables'], RegExp]> = [
    ['throws', () => { throw new Error('boom') }, /threw: boom/],
    ['mutates', (_e, d) => { d.status = 'x'; return {} }, /changed its arguments/],
    ['changes', () => ({ n: n++ }), /answered differently/],
    ['reserved', () => ({ _secret: 1 }), /reserved for _event/],
    ['not an object', () => null as unknown as Record<string, unknown>, /returned null/],
  ]
  for (const [label, toVariables, detail] of cases) {
    const r = checkPluginConformance({ ...sms, toVariables })
    t.notOk(r.ok, label)
    t.ok(r.failures.length > 0 && r.failures.every((f) => f.check === 'toVariables' && f.member === 'toVariables (sms-send)'), `${label}: only toVariables fails`)
    t.match(r.failures[0].detail, detail, label)
  }
})

t.test('a contract violation stops the kit with the contract rows; a throwing formatter fails its render', async (t) => {
  const { payloadSchema: _dropped, ...noSchema } = smsSend
  const r = checkPluginConformance({ ...sms, events: { 'sms-send': noSchema } })
  t.same(failing(r), ['contract events.sms-send.payloadSchema'])
  t.same(failing(checkPluginConformance(42)), ['contract (export)'])
  const fmt = checkPluginConformance({ ...sms, formatters: { xml: () => { throw new Error('no xml today') } } })
  t.same(failing(fmt), ['render events.sms-send'])
  t.match(fmt.failures[0].detail, /^xml body .*threw: .*no xml today/)
  t.throws(() => assertPluginConformance({ ...sms, formatters: { xml: () => { throw new Error('x') } } }), /fails 1 conformance check/)
})
