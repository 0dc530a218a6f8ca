// Event data can never move a request to another path (DESIGN "Secrets and hostile input").
// A placeholder value `..` filling a path segment is collapsed by URL parsing
// (`/a/b/<ref>/tail` with ref ".." goes to `/a/tail`), and encoding alone does not help:
// WHATWG URL parsing reads `%2e%2E` and `.%2E` as `..` too, and receivers that decode once
// more read `%252E` as `.`. So a path segment that holds event data, fully decoded, must not
// be `.` or `..`; such an event fails its delivery as `render_failed`, with no request sent.
// Everything else stays as `encodeURIComponent` made it (`...`, `.well-known`, `..a`).
import { CallbackRouterError } from '../errors'
import { parseTemplate } from '../config/placeholders'
import { compilePath, textOf, type Variables } from './variables'

/** One path segment of the template: literal text and the getters of the placeholders in it. */
type Segment = ReadonlyArray<string | ((v: Variables) => unknown)>

/**
 * The path segments of an endpoint template that hold at least one placeholder. The path
 * ends at the template's first literal `?` or `#` (a value's own `?` is encoded); the
 * scheme and host hold none (profile-check refuses placeholders there).
 */
export function placeholderSegments(template: string): Segment[] {
  const segments: Array<Array<string | ((v: Variables) => unknown)>> = [[]]
  for (const part of parseTemplate(template)) {
    if (typeof part !== 'string') {
      segments[segments.length - 1].push(compilePath(part.name).get)
      continue
    }
    const end = part.search(/[?#]/)
    const pieces = (end === -1 ? part : part.slice(0, end)).split('/')
    segments[segments.length - 1].push(pieces[0])
    for (const piece of pieces.slice(1)) segments.push([piece])
    if (end !== -1) break
  }
  return segments.filter((s) => s.some((p) => typeof p !== 'string'))
}

/**
 * True when `text`, percent-decoded until nothing changes, is `.` or `..`: what WHATWG URL
 * parsing (`%2e` is a dot there) or a receiver that decodes again would collapse.
 */
export function isDotSegment(text: string): boolean {
  let s = text
  // Each round removes one layer of encoding; a dot segment is at most 6 characters per layer.
  for (let i = 0; i < 8 && s.length <= 64 && s.includes('%'); i++) {
    let next: string
    try {
      next = decodeURIComponent(s)
    } catch {
      next = s.replace(/%2e/gi, '.').replace(/%25/g, '%')
    }
    if (next === s) break
    s = next
  }
  return s === '.' || s === '..'
}

/**
 * A check to run before each render of the endpoint: throws `render_failed` when event
 * data makes a path segment a dot segment. Undefined when the path holds no placeholder.
 */
export function compileDotSegmentGuard(template: string): ((vars: Variables) => void) | undefined {
  const segments = placeholderSegments(template)
  if (segments.length === 0) return undefined
  return (vars) => {
    for (const segment of segments) {
      let text = ''
      for (const p of segment) text += typeof p === 'string' ? p : textOf(p(vars))
      // Only short text with a dot or a percent sign can be a dot segment in any encoding.
      if (text.length > 64 || !/[.%]/.test(text)) continue
      if (isDotSegment(text)) {
        throw new CallbackRouterError('render_failed', [`a path segment of the endpoint rendered from event data reads as "${text.slice(0, 20)}": a dot segment would send the request to another path`])
      }
    }
  }
}
