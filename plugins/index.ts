// The built-in channels, in the order the reference page lists them. Adding a
// built-in is one line here; core/ never names a channel.
import type { ChannelPlugin } from '../core/plugin/contract'
import sms from './sms'
import email from './email'
import voice from './voice'
import whatsapp from './whatsapp'
import defaultChannel from './default'

export const builtins: ChannelPlugin[] = [sms, email, voice, whatsapp, defaultChannel]
