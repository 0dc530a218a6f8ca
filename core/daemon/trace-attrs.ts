// Span attributes read off a compiled profile, once per profile: the endpoint's host for
// `server.address` (placeholders stand only in the path and query, so the host is fixed).
// A host that came from `${env:…}` leaves as its reference: spans go to a collector, and
// secrets never leave the daemon.
import { redact } from '../redact'
import type { CompiledProfile } from '../render/compile'

const hosts = new WeakMap<CompiledProfile, string>()

export function serverAddressOf(compiled: CompiledProfile): string {
  let host = hosts.get(compiled)
  if (host === undefined) {
    try {
      host = redact(new URL(compiled.profile.endpoint.replace(/<[^>]*>/g, 'x')).hostname)
    } catch {
      host = ''
    }
    hosts.set(compiled, host)
  }
  return host
}
