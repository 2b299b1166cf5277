/**
 * Node's webhook POST: node:http(s) with a lookup that refuses private addresses at connect
 * time, so a name that resolves to a public address at subscription and to 127.0.0.1 at delivery
 * (DNS rebinding) still cannot reach the server's own network. No redirects are followed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress } from '../../notify/webhook-target.ts';
import { WEBHOOK_TIMEOUT_MS, type WebhookSend } from '../../notify/webhook.ts';

const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as LookupAddress[];
    const refused = list.find((a) => isPrivateAddress(a.address));
    if (refused) return callback(new Error('the webhook name resolves to a private address'), '', 0);
    if ((options as { all?: boolean }).all)
      return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

/**
 * @example new RetryingWebhookSender({ send: webhookPost(false), log })
 */
export function webhookPost(allowPrivate: boolean): WebhookSend {
  return (url, body, headers) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const options: RequestOptions = {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: WEBHOOK_TIMEOUT_MS,
        ...(allowPrivate ? {} : { lookup: guardedLookup }),
      };
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(target, options, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${WEBHOOK_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(body);
    });
}
