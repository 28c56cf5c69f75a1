import type { ServerResponse } from 'node:http';
import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import { SseStream } from '../sse-stream.ts';
import { META } from './wire.ts';

/** The `notifications` filter of a subscriptions/listen request. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

interface Listener {
  id: JsonRpcId;
  filter: SubscriptionFilter;
  stream: SseStream;
  keepAlive?: NodeJS.Timeout;
}

/** E6: `subscriptions/listen` streams of one channel, each fed only the notifications its filter names. */
export class ListenerSet {
  readonly #listeners = new Set<Listener>();
  readonly #send: (message: JsonRpcMessage) => unknown;

  /** `send` makes a request of the child (resources/subscribe for the URIs a filter names). */
  constructor(send: (message: JsonRpcMessage) => unknown) {
    this.#send = send;
  }

  /** `ontick` runs at each keep-alive; false means the channel is gone: the stream ends without a result, and the client listens again. */
  open(res: ServerResponse, options: { id: JsonRpcId; filter: SubscriptionFilter; headers: Record<string, string | number | string[]>; keepAliveMs: number; ontick: () => boolean }): void {
    const listener: Listener = { id: options.id, filter: options.filter, stream: new SseStream(res, options.headers) };
    this.#listeners.add(listener);
    listener.stream.send(JSON.stringify({
      jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged',
      params: { _meta: { [META.subscriptionId]: options.id }, notifications: options.filter },
    }), { event: 'message' });
    for (const uri of options.filter.resourceSubscriptions ?? []) {
      void this.#send({ jsonrpc: '2.0', method: 'resources/subscribe', params: { uri } });
    }
    listener.keepAlive = setInterval(() => {
      if (options.ontick()) return listener.stream.ping();
      // SseStream.end does not call onclose: forget the listener here.
      clearInterval(listener.keepAlive);
      this.#listeners.delete(listener);
      listener.stream.end();
    }, options.keepAliveMs);
    listener.keepAlive.unref();
    listener.stream.onclose = () => {
      clearInterval(listener.keepAlive);
      this.#listeners.delete(listener);
    };
  }

  deliver(message: JsonRpcMessage): void {
    for (const listener of this.#listeners) {
      if (!wants(listener.filter, message)) continue;
      const params = { ...message.params, _meta: { ...message.params?._meta, [META.subscriptionId]: listener.id } };
      listener.stream.send(JSON.stringify({ ...message, params }), { event: 'message' });
    }
  }

  /** A graceful end (shutdown): each stream gets its SubscriptionsListenResult, then closes. */
  closeAll(): void {
    for (const listener of this.#listeners) {
      clearInterval(listener.keepAlive);
      listener.stream.send(JSON.stringify({
        jsonrpc: '2.0', id: listener.id, result: { resultType: 'complete', _meta: { [META.subscriptionId]: listener.id } },
      }), { event: 'message' });
      listener.stream.end();
    }
    this.#listeners.clear();
  }
}

function wants(filter: SubscriptionFilter, message: JsonRpcMessage): boolean {
  switch (message.method) {
    case 'notifications/tools/list_changed': return filter.toolsListChanged === true;
    case 'notifications/prompts/list_changed': return filter.promptsListChanged === true;
    case 'notifications/resources/list_changed': return filter.resourcesListChanged === true;
    case 'notifications/resources/updated': return (filter.resourceSubscriptions ?? []).includes(String(message.params?.uri));
    default: return false;
  }
}
