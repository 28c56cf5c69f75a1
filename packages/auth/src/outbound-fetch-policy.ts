import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { outboundFetchErrors } from './outbound-fetch-errors.ts';
import { isPublicAddress } from './public-address.ts';

/** Which addresses a fetch may connect to. Only `mayReachPrivateAddresses` grants `any`. */
export type AddressReach = 'public only' | 'any';

/**
 * One rule for every fetch the sidecar makes (issue 17): the body is read up to
 * `maxBodyBytes` and aborted past it, the whole exchange (DNS, connect, TLS,
 * headers, body) is aborted after `timeoutMs`, and unless a policy was opted into
 * private addresses, the address each connection is made to must be public.
 */
export type OutboundFetchPolicy = {
  /** What is fetched, for error messages: "client metadata", "identity provider". */
  readonly purpose: string;
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
  readonly addresses: AddressReach;
  /** The resolver connections use (node's dns.lookup unless a test injects one). */
  readonly lookup?: LookupFunction;
};

export type FetchPolicyOptions = Pick<OutboundFetchPolicy, 'purpose' | 'maxBodyBytes' | 'timeoutMs' | 'lookup'>;

/** A policy for URLs a stranger supplies: public addresses only. */
export function fetchPolicy(options: FetchPolicyOptions): OutboundFetchPolicy {
  return Object.freeze({ ...options, addresses: 'public only' });
}

/**
 * The named opt-in for URLs the operator configured (the IdP's issuer, GitHub's
 * endpoints): any address, loopback and private networks included, since an IdP
 * may run next to the sidecar. The size and time caps stay.
 */
export function mayReachPrivateAddresses(policy: OutboundFetchPolicy): OutboundFetchPolicy {
  return Object.freeze({ ...policy, addresses: 'any' });
}

/**
 * URLs strangers supply: Client ID Metadata Documents (oidc-provider caps them at
 * 5 KiB itself) and anything else oidc-provider might fetch. 64 KiB is far more
 * than any client metadata; 5 s covers a slow but honest host (oidc-provider's own
 * signal gives up at 2.5 s).
 */
export const CLIENT_METADATA_FETCH = fetchPolicy({ purpose: 'client metadata', maxBodyBytes: 64 * 1024, timeoutMs: 5_000 });

/**
 * The operator's identity provider: discovery, token, userinfo, GitHub's API. 1 MiB
 * holds a discovery document (~2 KiB at Google) and a page of 100 GitHub teams with
 * room to spare; 10 s is one request, openid-client retries none.
 */
export const IDP_FETCH = mayReachPrivateAddresses(fetchPolicy({ purpose: 'identity provider', maxBodyBytes: 1024 * 1024, timeoutMs: 10_000 }));

/**
 * A URL whose host is an IP literal connects there without any lookup: under a
 * public-only policy it must be public (IPv4-mapped IPv6 judged as its IPv4).
 */
export function refuseLiteralAddress(url: URL, policy: OutboundFetchPolicy): void {
  if (policy.addresses === 'any') return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !isPublicAddress(host)) {
    throw outboundFetchErrors.AUTH_ERR_FETCH_ADDRESS_REFUSED({ url, purpose: policy.purpose, detail: host });
  }
}

/**
 * The `lookup` the connection itself calls: the addresses it answers are the ones
 * the socket connects to, so checking them here leaves no gap between a check and
 * a second resolution (DNS rebinding). Every address of the name must be public,
 * or none is used.
 */
export function connectionLookup(policy: OutboundFetchPolicy, url: URL): LookupFunction | undefined {
  if (policy.addresses === 'any') return policy.lookup;
  const resolve = policy.lookup ?? (dnsLookup as LookupFunction);
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, answer) => {
      if (error) return callback(error, '', 0);
      const addresses = (Array.isArray(answer) ? answer : [{ address: answer, family: 4 }]) as LookupAddress[];
      const refused = addresses.find(({ address }) => !isPublicAddress(address));
      if (addresses.length === 0 || refused) {
        const detail = `${hostname} resolves to ${refused?.address ?? 'no address'}`;
        return callback(outboundFetchErrors.AUTH_ERR_FETCH_ADDRESS_REFUSED({ url, purpose: policy.purpose, detail }) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
