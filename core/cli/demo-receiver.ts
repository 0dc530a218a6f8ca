// `demo-receiver [--port 8788]`: prints every callback it gets and answers 200, so the
// shipped example profiles have somewhere to deliver. Runs until Ctrl-C or SIGTERM.
import { InvalidArgumentError, type Command } from 'commander'
import { DEMO_RECEIVER_PORT, startDemoReceiver } from './demo-server'
import { fail } from './context'

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    return n
  }
}

export function register(program: Command): void {
  program
    .command('demo-receiver')
    .description('a webhook receiver for trying things out: prints each callback and answers 200')
    .option('--port <port>', 'listen port', integer(0, 65535), DEMO_RECEIVER_PORT)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--status <code>', 'answer every callback with this status (e.g. 503 to watch retries)', integer(200, 599), 200)
    .option('--secret <whsec>', 'check each webhook-signature with this secret (default: $DEMO_WHSEC)')
    .action(async (opts: { port: number; host: string; status: number; secret?: string }) => {
      const receiver = await startDemoReceiver({
        host: opts.host,
        port: opts.port,
        status: opts.status,
        secret: opts.secret ?? process.env.DEMO_WHSEC,
      }).catch((e: Error & { code?: string }) =>
        fail(e.code === 'EADDRINUSE' ? `demo-receiver: ${opts.host}:${opts.port} is already in use (another demo receiver?); pick another with --port` : `demo-receiver: ${e.message}`),
      )
      process.stdout.write(`demo receiver listening on ${receiver.url} (Ctrl-C stops it)\n`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await receiver.close()
      process.stdout.write(`demo receiver stopped after ${receiver.received} callback(s)\n`)
    })
}
