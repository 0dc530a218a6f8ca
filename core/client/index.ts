// `callback-router/client`: publish events for the daemon, typed and checked before sending.
//   const { createPublisher } = require('callback-router/client')
//   const publisher = createPublisher({ servers: 'nats://127.0.0.1:4222' })
//   await publisher.publish('sms', 'sms-send', { account: 'acme', data: { id, to, status: 'Delivered' } })
export { createPublisher, type Publisher, type PublisherOptions, type PublishResult } from './publisher'
export { newEventId, type EventToPublish } from './envelope'
export * from '../generated/payloads'
export { CallbackRouterError, type ErrorCode, type PublishCode } from '../errors'
