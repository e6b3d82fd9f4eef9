import { ApiClient, ApiError } from "../../src/client/api-client.ts";

/**
 * The CLI's typed client, on the page's origin: no token, so the browser sends the HttpOnly session cookie
 * (SameSite=Strict) the login set, and the API authenticates it as it does a bearer token.
 */
export const api = new ApiClient({
  baseUrl: location.origin,
  token: "",
  onUnauthorized: (error) => {
    for (const listener of sessionLost) listener(error);
  },
});

const sessionLost = new Set<(error: ApiError) => void>();

/** Hears every 401 of any view (a session ended by a role change, timed out or logged out elsewhere). */
export function onSessionLost(listener: (error: ApiError) => void): () => void {
  sessionLost.add(listener);
  return () => void sessionLost.delete(listener);
}

export { ApiError };

/** What went wrong and what to do, as the API said it (message and hint), for any thrown value. */
export function describeError(error: unknown): { message: string; hint: string | null; status: number } {
  if (error instanceof ApiError) return { message: error.message, hint: error.hint || null, status: error.status };
  return { message: error instanceof Error ? error.message : String(error), hint: null, status: 0 };
}
