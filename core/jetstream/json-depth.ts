// How deep JSON text nests, counted without parsing: JSON.parse takes any depth, but
// JSON.stringify recurses and a 100,000-level event overflows the stack wherever it is
// printed or served (`dead-letters show`, the console). Such an event is kept as bytes.

/** No legitimate event nests this deep; a dead letter's event beyond it is shown as base64. */
export const EVENT_MAX_DEPTH = 128

/** True when the JSON text opens more than `max` objects or arrays inside one another. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}
