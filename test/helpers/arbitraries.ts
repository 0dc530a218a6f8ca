// fast-check arbitraries shared by the template and format tests.
import fc from 'fast-check'

/** Strings with every character a careless encoder breaks: any code point, and the usual suspects. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('&', '=', '+', '%', '<', '>', '"', "'", '\n', '\r', '\r\n', '\u0000', ' ', '#', '?', '/', '\\', 'é', '✓', '😀', '--', ';', '<id>', '\t'), maxLength: 30 }),
)
