/**
 * The one HTTP call every notifier makes: POST a JSON body with a timeout, and classify the
 * outcome the way Alertmanager's notifiers do. The reason string of a failure goes into logs, so
 * it never contains the URL's path or query (where tokens live).
 */
import { redact } from "./secrets.js";
import type { NotifyResult } from "./types.js";

/** Default per-request timeout, in milliseconds. */
export const defaultTimeoutMs = 10_000;

/** Whether a failed HTTP status is worth retrying: server errors, request timeout, rate limiting. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The first 200 characters of a response body, on one line, for a failure reason. */
async function bodySnippet(response: Response): Promise<string> {
  try {
    const text = (await response.text()).replace(/\s+/g, " ").trim();
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
  } catch {
    return "";
  }
}

/** Removes the full URL (and its path) from a message, keeping only its redacted form. */
function scrub(message: string, url: URL): string {
  let out = message;
  for (const secret of [url.href, url.pathname + url.search, url.search])
    if (secret.length > 1) out = out.split(secret).join("");
  return out.split(url.origin).join(redact(url));
}

/** POSTs `body` as JSON to `url`; resolves with the classified outcome, never rejects. */
export async function postJson(
  url: URL,
  body: unknown,
  options: { readonly timeoutMs: number; readonly headers?: Readonly<Record<string, string>> },
): Promise<NotifyResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "driftwatch", ...options.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError")
      return { ok: false, retryable: true, reason: `timed out after ${options.timeoutMs / 1000}s` };
    const cause = err.cause?.code ?? err.cause?.message ?? err.message;
    return { ok: false, retryable: true, reason: scrub(`request failed: ${cause}`, url) };
  }
  if (response.ok) {
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    return { ok: true };
  }
  const snippet = await bodySnippet(response);
  return {
    ok: false,
    retryable: isRetryableStatus(response.status),
    reason: scrub(`HTTP ${response.status}${snippet ? `: ${snippet}` : ""}`, url),
  };
}
