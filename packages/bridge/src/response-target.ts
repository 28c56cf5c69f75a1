import type { JsonRpcMessage } from './json-rpc.ts';

/** Where the session sends what the server says about one client POST (or the legacy SSE stream). */
export interface ResponseTarget {
  /** Delivers a message; false when the target is gone and the message must go elsewhere. */
  deliver(message: JsonRpcMessage, line?: string): boolean;
  /** Whether it can take messages other than its responses (an open SSE stream, or one it may still become). */
  readonly canStream: boolean;
}
