// Dead letters (list with filters, show, replay) and the attempts of an event: what
// `dead-letters list/show/replay --json` and `attempts --json` print, over the daemon's
// NATS connection (503 without one).
import { CallbackRouterError } from '../errors'
import { json, need, route, type Route } from './routes'

export const deadLetterRoutes: Route[] = [
  route('GET', '/dead-letters', async ({ deps, query }) => {
    const dl = need(deps.deadLetters, 'dead letters')
    const reason = query.get('reason') || undefined
    const profile = query.get('profile') || undefined
    const q = (query.get('q') || '').toLowerCase()
    const rows = (await dl.list({ reason, profile })).filter(
      (r) =>
        (!reason || r.reason === reason) &&
        (!profile || r.profile === profile) &&
        (!q || [r.id, r.eventId, r.profile, r.reason, r.detail].some((v) => typeof v === 'string' && v.toLowerCase().includes(q))),
    )
    return json(200, { deadLetters: rows })
  }),
  route('GET', '/dead-letters/:id', async ({ deps, params }) => {
    const shown = await need(deps.deadLetters, 'dead letters').show(params.id)
    if (shown === undefined) throw new CallbackRouterError('CONSOLE_DEAD_LETTER_NOT_FOUND', [params.id])
    return json(200, shown)
  }),
  route('POST', '/dead-letters/:id/replay', async ({ deps, params }) => {
    const result = await need(deps.deadLetters, 'dead letters').replay(params.id)
    if (result === undefined) throw new CallbackRouterError('CONSOLE_DEAD_LETTER_NOT_FOUND', [params.id])
    deps.log?.info({ deadLetter: params.id }, 'console replayed a dead letter')
    return json(200, { replayed: params.id, result: result ?? null })
  }),
  route('GET', '/attempts/:eventId', async ({ deps, params }) => json(200, { attempts: await need(deps.attempts, 'attempts')(params.eventId) })),
]
