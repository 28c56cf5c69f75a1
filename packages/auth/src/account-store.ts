import { createHash } from 'node:crypto';
import type { Adapter } from 'oidc-provider';

type AdapterClass = new (name: string) => Adapter;

const YEAR_SECONDS = 365 * 24 * 3600;

/** Who signed in: the subject and email behind an account id, kept in the server's storage. */
export class AccountStore {
  readonly #adapter: Adapter;
  readonly #ttlSeconds: number;

  constructor(Adapter: AdapterClass, options: { ttlSeconds: number }) {
    this.#adapter = new Adapter('McpAccount');
    this.#ttlSeconds = options.ttlSeconds;
  }

  async save(account: { subject: string; email?: string; facts: unknown }): Promise<void> {
    await this.#adapter.upsert(account.subject, { email: account.email, facts: account.facts }, this.#ttlSeconds);
  }

  async find(subject: string): Promise<{ email?: string; facts: unknown } | undefined> {
    return await this.#adapter.find(subject) as { email?: string; facts: unknown } | undefined;
  }

  async findEmail(subject: string): Promise<string | undefined> {
    return (await this.find(subject))?.email;
  }
}

/**
 * C2: a user's approval of a client, remembered until the client's redirect
 * URIs change (a changed redirect needs new consent).
 */
export class ConsentMemory {
  readonly #adapter: Adapter;

  constructor(Adapter: AdapterClass) {
    this.#adapter = new Adapter('McpConsent');
  }

  static #key(accountId: string, clientId: string): string {
    return createHash('sha256').update(`${accountId}\n${clientId}`).digest('base64url');
  }

  static #fingerprint(redirectUris: readonly string[]): string {
    return createHash('sha256').update([...redirectUris].sort().join('\n')).digest('base64url');
  }

  async remember(accountId: string, clientId: string, redirectUris: readonly string[]): Promise<void> {
    await this.#adapter.upsert(ConsentMemory.#key(accountId, clientId), { redirectUris: ConsentMemory.#fingerprint(redirectUris) }, YEAR_SECONDS);
  }

  async approved(accountId: string, clientId: string, redirectUris: readonly string[]): Promise<boolean> {
    const found = await this.#adapter.find(ConsentMemory.#key(accountId, clientId)) as { redirectUris?: string } | undefined;
    return found?.redirectUris === ConsentMemory.#fingerprint(redirectUris);
  }
}
