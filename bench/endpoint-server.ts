// The benchmark's receiving endpoint, in its own process so it does not compete with the
// forwarders' event loop: answers every request 200 "ok", counts them, and serves the
// count at GET /__count. Prints its port on the first line of stdout.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

let count = 0
const server = createServer((req, res) => {
  if (req.url === '/__count') {
    res.end(String(count))
    return
  }
  req.on('data', () => undefined)
  req.on('end', () => {
    count++
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
