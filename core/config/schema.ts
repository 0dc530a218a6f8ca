// One ajv setup for every schema: strict mode, all errors, draft-07 formats.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import profileSchema from '../../schemas/profile.schema.json'
import routerConfigSchema from '../../schemas/router-config.schema.json'
import eventSchema from '../../schemas/event.schema.json'
import type { Profile } from '../generated/profile'
import type { RouterConfig } from '../generated/router-config'
import type { CallbackEvent } from '../generated/event'

export function createAjv(options: { useDefaults?: boolean } = {}): Ajv {
  // allowUnionTypes: a profile body is an object, array or string.
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true, useDefaults: options.useDefaults ?? false })
  addFormats(ajv)
  return ajv
}

const withDefaults = createAjv({ useDefaults: true })
const plain = createAjv()

/** Validates and fills schema defaults in place (settings). */
export const validateRouterConfig: ValidateFunction<RouterConfig> = withDefaults.compile<RouterConfig>(routerConfigSchema)
/** Validates a profile as written, without filling defaults (files written back stay as the operator wrote them). */
export const validateProfile: ValidateFunction<Profile> = plain.compile<Profile>(profileSchema)
export const validateEvent: ValidateFunction<CallbackEvent> = plain.compile<CallbackEvent>(eventSchema)

/** A short, readable message for one ajv error, naming the offending property where ajv knows it. */
export function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`
    case 'required':
      return `missing required property "${(e.params as { missingProperty: string }).missingProperty}"`
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    case 'const':
      return `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`
    default:
      return e.message ?? e.keyword
  }
}

/** The JSON pointer an ajv error concerns (for additionalProperties/required: the property itself). */
export function ajvErrorPointer(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${escapePointer((e.params as { additionalProperty: string }).additionalProperty)}`
  return e.instancePath
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}
