// The Dead Letters and Attempts views in a real browser against the running daemon:
// a callback that fails becomes a dead letter; the operator lists, filters, shows and
// replays it, and the replay is delivered. Screenshots: test/artifacts/console-dead-*.png.
import t from 'tap'
import { startConsoleStack } from '../helpers/console-stack'
import { clickForApi, until, withToast } from '../helpers/console-browser'

const TOKEN = 'dead-letters-token-19c2-3d4e5f6a'

// Each step waits on a condition; the file's deadline is far for a loaded machine.
t.setTimeout(600_000)

t.test('list, filter, show and replay a dead letter; see its attempts', async (t) => {
  const { fx, endpoint, session } = await startConsoleStack(
    t,
    'console-dead',
    (url) => [{ id: 'acme-sms', title: 'ACME SMS reports', account: 'acme', channel: 'sms', method: 'POST', endpoint: `${url}/sms`, retry: { count: 0, timeoutMs: 10000 } }],
    TOKEN,
  )
  const { page, shot } = session
  endpoint.setBehaviour({ status: 500 })
  await fx.publish('sms', 'sms-send', { id: 'evt_dead_1', account: 'acme', data: { id: 'm-1', to: '+15550002222', status: 'Failed' } })
  await endpoint.waitFor(1, 90_000)

  await clickForApi(page, 'nav >> text=Dead Letters', '/dead-letters')
  // The dead letter is written after the failed attempt: filter again until it is listed,
  // each time after the page has the answer (a count taken before it would see the old list).
  await until('the dead letter is listed', async () => {
    await page.waitForSelector('#dead-letters-table, #dead-letters-body .empty, #dead-letters-body .error')
    if ((await page.locator('#dead-letters-table tbody tr').count()) > 0) return true
    await clickForApi(page, '#dl-filter', '/dead-letters')
    return false
  })
  const row = page.locator('#dead-letters-table tbody tr').first()
  t.match(await row.textContent(), /retries_exhausted.*acme-sms.*evt_dead_1/s)
  await shot('list')

  // Filter by reason.
  await page.selectOption('#dl-reason', 'no_profile')
  await page.waitForSelector('text=No dead letters match')
  await page.selectOption('#dl-reason', 'retries_exhausted')
  await page.waitForSelector('#dead-letters-table')
  await page.fill('#dl-profile', 'acme-sms')
  // The filtered list replaces the one on screen: wait for its answer, not for rows that are already there.
  await clickForApi(page, '#dl-filter', '/dead-letters?reason=retries_exhausted&profile=acme-sms')
  await page.waitForSelector('#dead-letters-table tbody tr')

  // Show: the original event and its attempts.
  await page.click('#dead-letters-table [data-action=show]')
  await page.waitForSelector('#dead-letter-event')
  t.match(JSON.parse((await page.textContent('#dead-letter-event')) ?? '{}'), { id: 'evt_dead_1', account: 'acme', data: { to: '+15550002222' } })
  await page.waitForSelector('#attempts-table')
  t.match(await page.textContent('#attempts-table tbody'), /acme-sms.*500/s)
  await shot('show')

  // Replay once the endpoint works again: delivered as a new cycle.
  endpoint.setBehaviour({ status: 200 })
  await page.click('#replay')
  await withToast(page, '.ok >> text=Dead letter replayed', () => page.click('#modal-confirm'))
  const [, replayed] = await endpoint.waitFor(2, 90_000)
  t.equal(replayed.headers['webhook-id'], 'evt_dead_1:acme-sms')
  await shot('replayed')

  // Attempts of the event: both cycles. The attempt log is written in batches, so Show
  // looks again until both are there; each look waits for its own answer to be drawn
  // (going to the same #/attempts/… address again would not redraw the page at all).
  await page.click('nav >> text=Attempts')
  await page.fill('#attempts-event', 'evt_dead_1')
  await until('both attempts are logged', async () => {
    await clickForApi(page, '#attempts-show', '/attempts/evt_dead_1')
    await page.waitForSelector('#attempts-table, main .empty, main .error')
    return (await page.locator('#attempts-table tbody tr').count()) >= 2
  })
  const text = await page.textContent('#attempts-table tbody')
  t.match(text, /500/)
  t.match(text, /200/)
  await shot('attempts')
})
