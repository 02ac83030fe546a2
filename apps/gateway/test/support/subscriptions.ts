// A real graphql-ws client (with the ws package) for the gateway's subscriptions: one connection
// per `Live`, messages and errors collected as they come, the close code kept.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { waitUntil } from "./wait";

export interface Live<T> {
  client: Client;
  /** Data of every `next` message, in arrival order. */
  messages: T[];
  /** Errors of `next` messages and `error` messages (GraphQL errors), and socket-level failures. */
  errors: { message: string; extensions?: Record<string, unknown> }[];
  /** The close code, once the socket closed. */
  closeCode(): number | undefined;
  completed(): boolean;
  /** Waits until a message satisfies `check`; returns it. */
  next(check: (message: T) => boolean, what?: string): Promise<T>;
  dispose(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, "ws")}/graphql`;
}

/**
 * Opens a connection with `connectionParams` (the token) and starts one subscription on it.
 * No retries: a refused connection shows as its close code.
 */
export function subscribe<T>(httpUrl: string, connectionParams: Record<string, unknown> | undefined, query: string, variables?: Record<string, unknown>): Live<T> {
  let code: number | undefined;
  let done = false;
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => (code = (event as { code?: number }).code) },
    onNonLazyError: () => undefined,
  });
  const messages: T[] = [];
  const errors: Live<T>["errors"] = [];
  client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...(result.errors as Live<T>["errors"]));
        if (result.data) messages.push(result.data as T);
      },
      error: (error) => {
        if (Array.isArray(error)) errors.push(...(error as Live<T>["errors"]));
        else errors.push({ message: error instanceof Error ? error.message : `closed ${(error as { code?: number }).code}` });
        done = true;
      },
      complete: () => (done = true),
    },
  );
  return {
    client,
    messages,
    errors,
    closeCode: () => code,
    completed: () => done,
    next: (check, what = "a subscription message") => waitUntil(() => messages.find(check), { timeoutMs: 30_000, what }),
    dispose: () => client.dispose() as Promise<void>,
  };
}
