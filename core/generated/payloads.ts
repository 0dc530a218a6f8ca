/* Generated from the built-in plugins' payload schemas (plugins/<channel>/<event>.schema.json) by npm run gen:types. Do not edit. */

/**
 * Delivery report of one submitted SMS (one message id; a long message reports once with its part count). Upstream may add fields: they are accepted and reachable as variables.
 */
export interface SmsSendData {
  /**
   * Message id returned by the SMS send API.
   */
  id: string
  /**
   * Sender id or number the message was sent from.
   */
  from?: string
  /**
   * Recipient number, E.164.
   */
  to: string
  /**
   * Final status: Sent (handed to the operator, no report yet), Delivered, Failed (refused before the handset) or Undelivered (the operator gave up).
   */
  status: 'Sent' | 'Delivered' | 'Failed' | 'Undelivered'
  /**
   * Human-readable status description.
   */
  description?: string
  /**
   * Why the message failed; code "000" when it did not.
   */
  error?: {
    /**
     * Operator or platform error code ("000": no error).
     */
    code?: string
    /**
     * What the error code means.
     */
    description?: string
    [k: string]: unknown
  }
  /**
   * The message text, when the account sends bodies with callbacks.
   */
  message?: string
  /**
   * Message type: OTP, TXN (transactional), MKT (promotional) or SVC (service).
   */
  type?: string
  /**
   * Billed SMS parts (a long or Unicode message counts several).
   */
  units?: number
  /**
   * Price charged for the message, in currency.
   */
  price?: number
  /**
   * ISO 4217 currency of price.
   */
  currency?: string
  /**
   * Recipient's mobile operator.
   */
  operator?: string
  /**
   * Recipient's telecom circle or region.
   */
  circle?: string
  /**
   * When the message was submitted, ISO-8601 UTC.
   */
  submitted_at?: string
  /**
   * When the final status was reported, ISO-8601 UTC.
   */
  delivered_at?: string
  /**
   * The customer's own reference, passed with the send request.
   */
  ref?: string
  /**
   * Id of the callback profile the send request named.
   */
  callback_profile_id?: string
  [k: string]: unknown
}

/**
 * Status of one submitted email for one recipient: delivery, bounce, open, click. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface EmailSendData {
  /**
   * Message id returned by the Email API.
   */
  id: string
  /**
   * Sender address.
   */
  from?: string
  /**
   * Recipient address this report is about.
   */
  to: string
  /**
   * Subject line of the email.
   */
  subject?: string
  /**
   * What happened: queued, sent, delivered, deferred (retrying), bounced, dropped (not sent: suppressed or invalid), opened, clicked, spam (marked as spam), unsubscribed, failed.
   */
  status:
    | 'queued'
    | 'sent'
    | 'delivered'
    | 'deferred'
    | 'bounced'
    | 'dropped'
    | 'opened'
    | 'clicked'
    | 'spam'
    | 'unsubscribed'
    | 'failed'
  /**
   * Human-readable status description.
   */
  description?: string
  /**
   * Why delivery failed or was deferred.
   */
  error?: {
    /**
     * SMTP status or platform error code.
     */
    code?: string
    /**
     * The remote server's reply or the platform's reason.
     */
    description?: string
    [k: string]: unknown
  }
  /**
   * For bounced: hard (permanent) or soft (temporary); empty otherwise.
   */
  bounce_type?: string
  /**
   * For clicked: the link that was clicked.
   */
  url?: string
  /**
   * For opened and clicked: the reader's IP address.
   */
  ip?: string
  /**
   * For opened and clicked: the reader's user agent.
   */
  user_agent?: string
  /**
   * Billed email credits.
   */
  units?: number
  /**
   * Price charged, in currency.
   */
  price?: number
  /**
   * ISO 4217 currency of price.
   */
  currency?: string
  /**
   * When the email was submitted, ISO-8601 UTC.
   */
  submitted_at?: string
  /**
   * When this status happened, ISO-8601 UTC.
   */
  timestamp?: string
  /**
   * The customer's own reference, passed with the send request.
   */
  ref?: string
  /**
   * Tags given with the send request.
   */
  tags?: string[]
  /**
   * Id of the callback profile the send request named.
   */
  callback_profile_id?: string
  [k: string]: unknown
}

/**
 * Outcome of one call (outbound OBD, click-to-call or inbound IVR), sent when the call ends. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface VoiceData {
  /**
   * Call id returned by the Voice API.
   */
  id: string
  /**
   * outbound (placed by the platform) or inbound (a customer called).
   */
  direction?: 'outbound' | 'inbound'
  /**
   * Caller id presented, E.164.
   */
  from?: string
  /**
   * Called number, E.164.
   */
  to?: string
  /**
   * How the call ended: answered/completed (connected), busy, no-answer, failed (network or number error), canceled (before answer), rejected.
   */
  status: 'answered' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled' | 'rejected'
  /**
   * Human-readable status description.
   */
  description?: string
  /**
   * Why the call failed (SIP/Q.850 cause).
   */
  error?: {
    /**
     * Hang-up cause code (Q.850; "16": normal clearing).
     */
    code?: string
    /**
     * What the cause code means.
     */
    description?: string
    [k: string]: unknown
  }
  /**
   * Who hung up: caller, callee or system.
   */
  hangup_by?: string
  /**
   * When the call was placed, ISO-8601 UTC.
   */
  start_time?: string
  /**
   * When it was answered, ISO-8601 UTC; empty if never.
   */
  answer_time?: string
  /**
   * When it ended, ISO-8601 UTC.
   */
  end_time?: string
  /**
   * Talk time in seconds (answer to end).
   */
  duration?: number
  /**
   * Seconds billed, rounded up to the pulse.
   */
  billed_duration?: number
  /**
   * Billed pulses.
   */
  units?: number
  /**
   * Price charged for the call, in currency.
   */
  price?: number
  /**
   * ISO 4217 currency of price.
   */
  currency?: string
  /**
   * Keys the callee pressed in the IVR, in order.
   */
  dtmf?: string
  /**
   * URL of the call recording, when recording was on.
   */
  recording_url?: string
  /**
   * The customer's own reference, passed as `custom` with the call request.
   */
  custom?: string
  /**
   * Id of the callback profile the call request named.
   */
  callback_profile_id?: string
  [k: string]: unknown
}

/**
 * Status of an outgoing WhatsApp message: not-sent, sent, delivered, read or failed. Field names as in the platform's documented GET/POST templates. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface WhatsappMessageStatusData {
  /**
   * Message id returned by the send API (with the recipient index after ':').
   */
  id: string
  /**
   * Whether the message carried a custom response (false for plain sends).
   */
  custom_response?: boolean
  /**
   * When the status happened, Unix seconds as text.
   */
  timestamp?: string
  /**
   * Recipient's WhatsApp number, country code first, no '+'.
   */
  mobile?: string
  /**
   * Human-readable status description.
   */
  message?: string
  /**
   * sent (accepted by WhatsApp), delivered (on the handset), read (opened), failed (WhatsApp gave up), not-sent (refused before sending).
   */
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'not-sent'
  /**
   * The business WhatsApp number that sent the message.
   */
  phone_number?: string
  /**
   * Why the message failed or was not sent; empty otherwise.
   */
  error?: string
  /**
   * WhatsApp or platform error code for failed/not-sent (e.g. 131026: recipient cannot receive); empty otherwise.
   */
  error_code?: string
  /**
   * The customer's reference passed with the send request.
   */
  ref?: string
  /**
   * Second customer reference (e.g. campaign).
   */
  ref1?: string
  /**
   * Third customer reference.
   */
  ref2?: string
  /**
   * Conversation price, present on delivered when the message opened a charged conversation (not for Tech Provider accounts).
   */
  price?: number
  [k: string]: unknown
}

/**
 * A message a customer sent to the business WhatsApp number: text, media, location, contacts or an interactive reply. Field names as in the platform's documented GET/POST templates; interactive.* is ours. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface WhatsappIncomingMessageData {
  /**
   * Text of the message, or the caption of a media message.
   */
  body?: string
  /**
   * MIME type of the media (image/jpeg, application/pdf, audio/ogg, ...); empty for text.
   */
  mime_type?: string
  /**
   * Where the platform stored the media (image, video, audio, document, sticker).
   */
  media_url?: string
  /**
   * The customer's WhatsApp number, country code first, no '+'.
   */
  from: string
  /**
   * The customer's WhatsApp profile name.
   */
  name?: string
  /**
   * Message type: text, image, video, audio, document, sticker, location, contacts, interactive, button or reaction.
   */
  type: string
  /**
   * When the customer sent it, Unix seconds as text.
   */
  created_at?: string
  /**
   * Id of the business message this replies to; empty when it is not a reply.
   */
  reply_to?: string
  /**
   * The business WhatsApp number that received the message.
   */
  wanumber?: string
  /**
   * The customer's mobile number (as from).
   */
  mobile?: string
  /**
   * Whether the platform answered with the number's custom auto-response.
   */
  custom_response?: boolean
  /**
   * Platform id of the incoming message.
   */
  message?: string
  /**
   * For type contacts: the shared contact cards.
   */
  contacts?: {
    /**
     * Formatted name of the shared contact.
     */
    name?: string
    /**
     * First phone number of the shared contact.
     */
    phone?: string
    [k: string]: unknown
  }[]
  /**
   * For type location: the shared location.
   */
  location?: {
    /**
     * Latitude in degrees.
     */
    latitude?: number
    /**
     * Longitude in degrees.
     */
    longitude?: number
    /**
     * Name of the place, if the customer picked one.
     */
    name?: string
    /**
     * Address of the place, if known.
     */
    address?: string
    [k: string]: unknown
  }
  /**
   * For type interactive or button: which reply button or list row the customer chose.
   */
  interactive?: {
    /**
     * button_reply, list_reply or quick_reply.
     */
    type?: string
    /**
     * The id the business gave the button or row.
     */
    id?: string
    /**
     * The button or row title the customer saw.
     */
    title?: string
    /**
     * The list row's description, if any.
     */
    description?: string
    [k: string]: unknown
  }
  [k: string]: unknown
}

/**
 * Status of a WhatsApp Pay order (order_details message, paid through the payment gateway). The platform's variable list was not retrieved: names are ours, after the order's reference_id and Meta's payment webhook. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface WhatsappPaymentStatusData {
  /**
   * Id of the order_details message that asked for the payment.
   */
  id?: string
  /**
   * The order's reference_id, as given in the order_details message.
   */
  reference_id: string
  /**
   * Payment status: pending, captured (paid), failed or canceled.
   */
  status: string
  /**
   * The paying customer's WhatsApp number.
   */
  mobile?: string
  /**
   * The business WhatsApp number that sent the order.
   */
  wanumber?: string
  /**
   * Amount paid, as WhatsApp Pay writes it: value / 10^offset.
   */
  amount?: {
    /**
     * Amount in the currency's smallest unit times 10^offset.
     */
    value?: number
    /**
     * Decimal offset of value (100 for INR paise).
     */
    offset?: number
    [k: string]: unknown
  }
  /**
   * ISO 4217 currency of the order.
   */
  currency?: string
  /**
   * The gateway transaction.
   */
  transaction?: {
    /**
     * Gateway transaction id.
     */
    id?: string
    /**
     * Gateway or method: razorpay, payu, upi.
     */
    type?: string
    /**
     * Gateway status: success, failed or pending.
     */
    status?: string
    [k: string]: unknown
  }
  /**
   * Why the payment failed; empty strings otherwise.
   */
  error?: {
    /**
     * Gateway error code.
     */
    code?: string
    /**
     * Gateway error reason.
     */
    reason?: string
    [k: string]: unknown
  }
  /**
   * When the payment was started, Unix seconds as text.
   */
  created_at?: string
  /**
   * When this status was reached, Unix seconds as text.
   */
  updated_at?: string
  /**
   * The customer's reference passed with the order message.
   */
  ref?: string
  [k: string]: unknown
}

/**
 * A WhatsApp message template was approved, rejected, disabled or paused. Field names as in the platform's template-status-update page. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface WhatsappMessageTemplateStatusUpdateData {
  /**
   * Id of this notification.
   */
  id?: string
  /**
   * When the status changed, Unix seconds as text.
   */
  time?: string
  /**
   * The new template status: APPROVED, REJECTED, DISABLED, PAUSED (also PENDING_DELETION, FLAGGED, REINSTATED).
   */
  event: string
  /**
   * WhatsApp's id of the template.
   */
  message_template_id: string
  /**
   * The template's name.
   */
  message_template_name?: string
  /**
   * The template's language code.
   */
  message_template_language?: string
  /**
   * Why it was rejected, disabled or paused (NONE when approved).
   */
  reason?: string
  /**
   * Id of the callback profile registered for template updates.
   */
  callback_profile_id?: string
  /**
   * The platform account (company) that owns the template.
   */
  company_id?: string
  /**
   * Extra details WhatsApp gives, e.g. for a paused template.
   */
  other_info?: {
    /**
     * Short title of the extra information (e.g. FIRST_PAUSE).
     */
    title?: string
    /**
     * Explanation, e.g. why and until when the template is paused.
     */
    description?: string
    [k: string]: unknown
  }
  [k: string]: unknown
}

/**
 * The quality rating or messaging limit of a business phone number changed. display_phone_number, event and current_limit are the platform's documented names; the rest are ours. Upstream may add fields: they are accepted and reachable as variables.
 */
export interface WhatsappPhoneNumberQualityUpdateData {
  /**
   * The business phone number concerned.
   */
  display_phone_number: string
  /**
   * What happened: FLAGGED (quality dropped), UNFLAGGED (recovered), DOWNGRADE or UPGRADE (messaging limit changed), ONBOARDING.
   */
  event: string
  /**
   * Messaging limit now in force (business-initiated conversations per 24 h): TIER_50, TIER_250, TIER_1K, TIER_10K, TIER_100K, TIER_UNLIMITED or NOT_SET.
   */
  current_limit?: string
  /**
   * Quality rating now: GREEN (high), YELLOW (medium), RED (low) or UNKNOWN.
   */
  quality_rating?: string
  /**
   * Messaging limit before this change, when it changed.
   */
  previous_limit?: string
  /**
   * When the change happened, Unix seconds as text.
   */
  timestamp?: string
  [k: string]: unknown
}

/**
 * Any event, of a channel not in the list or of any channel that names a default profile. Any JSON object is accepted; the catalog lists the fields most events carry.
 */
export interface DefaultEventData {
  /**
   * Id of the message or object the event is about.
   */
  id?: unknown
  /**
   * Its status.
   */
  status?: unknown
  /**
   * Human-readable status description.
   */
  description?: unknown
  /**
   * Sender.
   */
  from?: unknown
  /**
   * Recipient.
   */
  to?: unknown
  /**
   * Message text or summary.
   */
  message?: unknown
  /**
   * When it happened.
   */
  timestamp?: unknown
  /**
   * The customer's own reference.
   */
  ref?: unknown
  [k: string]: unknown
}

/** Each built-in channel's events and the type of their `data`: what callback-router/client checks at compile time. */
export interface ChannelEvents {
  sms: { 'sms-send': SmsSendData }
  email: { 'email-send': EmailSendData }
  voice: { 'voice': VoiceData }
  whatsapp: { 'message_status': WhatsappMessageStatusData; 'incoming_message': WhatsappIncomingMessageData; 'payment_status': WhatsappPaymentStatusData; 'message_template_status_update': WhatsappMessageTemplateStatusUpdateData; 'phone_number_quality_update': WhatsappPhoneNumberQualityUpdateData }
  default: { [event: string]: DefaultEventData }
}
