// Wrong tokens are slow on every console route. Each client address gets one wrong
// answer per FAILURE_DELAY_MS, queued (so opening more connections does not help); while
// MAX_WAITING wrong guesses of an address wait, its further requests carrying a credential
// are answered 429 before their credential is looked at, so giving up on a slow answer
// and guessing again gains nothing either. A right token is never delayed.
import ipaddr from 'ipaddr.js'

export const FAILURE_DELAY_MS = 300
export const MAX_WAITING = 8

interface Slot {
  /** When the address's latest queued wrong answer goes out (ms, performance.now()). */
  next: number
  waiting: number
}

export interface FailureGate {
  /** Too many wrong guesses of this address wait: answer 429 without checking. */
  saturated(address: string | undefined): boolean
  /** Resolves when this wrong guess may be answered. */
  penalty(address: string | undefined): Promise<void>
}

/**
 * The address a guess counts against: IPv4 (also when mapped into IPv6) as is, IPv6 by
 * its /64, since one host is commonly given a whole /64 to pick addresses from.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown'
  try {
    const ip = ipaddr.process(address)
    if (ip.kind() === 'ipv4') return ip.toString()
    return (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':') + '::/64'
  } catch {
    return address
  }
}

export function createFailureGate(delayMs = FAILURE_DELAY_MS, maxWaiting = MAX_WAITING): FailureGate {
  const slots = new Map<string, Slot>()
  return {
    saturated(address) {
      return (slots.get(clientKey(address))?.waiting ?? 0) >= maxWaiting
    },
    async penalty(address) {
      const key = clientKey(address)
      const now = performance.now()
      const slot = slots.get(key) ?? { next: 0, waiting: 0 }
      slots.set(key, slot)
      slot.next = Math.max(now, slot.next) + delayMs
      slot.waiting++
      // The slot is held until its time even if the client gives up on the answer.
      await new Promise((r) => setTimeout(r, slot.next - now))
      slot.waiting--
      if (slot.waiting === 0 && slot.next <= performance.now() + 1) slots.delete(key)
    },
  }
}
