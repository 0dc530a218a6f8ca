// `callback-router/testing`: the plugin conformance kit for channel teams' own tests.
//   const { checkPluginConformance } = require('callback-router/testing')
//   const report = checkPluginConformance(require('..'))
//   assert.deepEqual(report.failures, [])
export { checkPluginConformance, assertPluginConformance } from './conformance'
export type { ConformanceReport, ConformanceCheck, CheckName } from './report'
export { sampleData } from '../plugin/sample-data'
export type { ChannelPlugin, EventSpec, VariableSpec } from '../plugin/contract'
