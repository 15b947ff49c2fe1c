/**
 * Secrets in notifier configs. Webhook URLs usually carry a token (Slack's path, a `?token=`), so
 * the config references them as `${NAME}` and they are read from the environment when the
 * notifier is built. Anything that may reach a log line goes through `redact` first, and errors
 * name the variable, never its value.
 */
import { UserError } from "../../errors.js";

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${NAME}` in `template` with `env[NAME]`; `where` names the config field for the
 * error. A missing or empty variable is a `UserError` naming the variable and the field.
 *
 * @example
 * resolveEnv("https://hooks.slack.com/${SLACK_PATH}", { SLACK_PATH: "T0/B0/x" }, "notifiers/0/url")
 * // "https://hooks.slack.com/T0/B0/x"
 */
export function resolveEnv(
  template: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  const missing: string[] = [];
  const resolved = template.replace(reference, (_whole, name: string) => {
    const value = env[name];
    if (value === undefined || value === "") {
      missing.push(name);
      return "";
    }
    return value;
  });
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name}"`).join(", ");
    const verb = missing.length > 1 ? "variables" : "variable";
    throw new UserError(
      `${where}: environment ${verb} ${names} not set or empty; export it before starting driftwatch`,
    );
  }
  return resolved;
}

/**
 * Resolves a URL template and checks it is http(s). The error shows the template (which holds
 * `${NAME}`, not the secret), never the resolved URL.
 */
export function resolveUrl(
  template: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): URL {
  const resolved = resolveEnv(template, env, where);
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    throw new UserError(
      `${where}: not a valid URL once environment variables are substituted (template ${JSON.stringify(template)})`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UserError(`${where}: expected an http or https URL, got scheme "${url.protocol.slice(0, -1)}"`);
  return url;
}

/**
 * The part of a URL that is safe to log: scheme and host (with port). Paths, queries and
 * credentials, where tokens live, are dropped.
 *
 * @example
 * redact("https://hooks.slack.com/services/T0/B0/secret") // "https://hooks.slack.com"
 */
export function redact(url: string | URL): string {
  try {
    const parsed = typeof url === "string" ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "<invalid url>";
  }
}
