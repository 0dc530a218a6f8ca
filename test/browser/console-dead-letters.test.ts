// The Dead Letters and Attempts views in a real browser against the running daemon:
// a callback that fails becomes a dead letter; the operator lists, filters, shows and
// replays it, and the replay is delivered. Screenshots: test/artifacts/console-dead-*.png.
import t from 'tap'
import { startConsoleStack } from '../helpers/console-stack'

const TOKEN = 'dead-letters-token-19c2-3d4e5f6a'

t.test('list, filter, show and replay a dead letter; see its attempts', async (t) => {
  const { fx, endpoint, session } = await startConsoleStack(
    t,
    'console-dead',
    (url) => [{ id: 'acme-sms', title: 'ACME SMS reports', account: 'acme', channel: 'sms', method: 'POST', endpoint: `${url}/sms`, retry: { count: 0, timeoutMs: 2000 } }],
    TOKEN,
  )
  const { page, shot } = session
  endpoint.setBehaviour({ status: 500 })
  await fx.publish('sms', 'sms-send', { id: 'evt_dead_1', account: 'acme', data: { id: 'm-1', to: '+15550002222', status: 'Failed' } })
  await endpoint.waitFor(1, 15000)

  await page.click('nav >> text=Dead Letters')
  // The dead letter is written after the failed attempt: look until it is listed.
  for (let i = 0; i < 50; i++) {
    if ((await page.locator('#dead-letters-table tbody tr').count()) > 0) break
    await page.waitForTimeout(200)
    await page.click('#dl-filter')
  }
  const row = page.locator('#dead-letters-table tbody tr').first()
  t.match(await row.textContent(), /retries_exhausted.*acme-sms.*evt_dead_1/s)
  await shot('list')

  // Filter by reason.
  await page.selectOption('#dl-reason', 'no_profile')
  await page.waitForSelector('text=No dead letters match')
  await page.selectOption('#dl-reason', 'retries_exhausted')
  await page.waitForSelector('#dead-letters-table')
  await page.fill('#dl-profile', 'acme-sms')
  await page.click('#dl-filter')
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
  await page.click('#modal-confirm')
  await page.waitForSelector('#toast.show.ok >> text=Dead letter replayed')
  const [, replayed] = await endpoint.waitFor(2, 15000)
  t.equal(replayed.headers['webhook-id'], 'evt_dead_1:acme-sms')
  await shot('replayed')

  // Attempts of the event: both cycles (the attempt log is written in batches).
  for (let i = 0; i < 50; i++) {
    await page.goto(`${session.page.url().split('#')[0]}#/attempts/evt_dead_1`)
    await page.waitForSelector('#attempts-table, .empty, .error')
    if ((await page.locator('#attempts-table tbody tr').count()) >= 2) break
    await page.waitForTimeout(200)
  }
  const text = await page.textContent('#attempts-table tbody')
  t.match(text, /500/)
  t.match(text, /200/)
  await shot('attempts')
})
