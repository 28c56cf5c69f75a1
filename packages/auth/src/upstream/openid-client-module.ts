import type * as OpenidClient from 'openid-client';

export type OpenidClientModule = typeof OpenidClient;

let loaded: OpenidClientModule | undefined;
let loading: Promise<OpenidClientModule> | undefined;

/**
 * openid-client with oauth4webapi (~0.5 MiB of RSS), loaded by the first upstream
 * sign-in rather than at start: a sidecar restarted with its tokens in storage, or
 * one with password users only, may never need it.
 */
export function openidClient(): Promise<OpenidClientModule> {
  loading ??= import('openid-client').then((module) => (loaded = module));
  return loading;
}

/** The module if a sign-in loaded it already; an error it threw implies it is. */
export function loadedOpenidClient(): OpenidClientModule | undefined {
  return loaded;
}
