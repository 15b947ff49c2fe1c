/**
 * The notifier kinds by `type`, and `buildNotifiers`, which turns the `notifiers` config list into
 * notifiers: environment references resolved, URLs checked, names unique. Every problem in the
 * list is reported at once.
 *
 * @example
 * const notifiers = buildNotifiers([{ type: "slack", url: "${SLACK_WEBHOOK_URL}" }], {}, "alerts/notifiers");
 * notifiers[0].name; // "slack"
 */
import { UserError } from "../../errors.js";
import { AlertmanagerNotifier } from "./alertmanager.js";
import { FaroNotifier } from "./faro.js";
import { SlackNotifier } from "./slack.js";
import type { Notifier, NotifierConfig, NotifierContext } from "./types.js";
import { WebhookNotifier } from "./webhook.js";

/** Builds one kind of notifier from its config; `where` is the config path for errors. */
type NotifierBuilder<C extends NotifierConfig> = (
  config: C,
  context: NotifierContext,
  where: string,
) => Notifier;

/** Every notifier kind, by its `type` key. */
export const notifierKinds: {
  readonly [K in NotifierConfig["type"]]: NotifierBuilder<Extract<NotifierConfig, { type: K }>>;
} = {
  webhook: (config, context, where) => new WebhookNotifier(config, context, where),
  alertmanager: (config, context, where) => new AlertmanagerNotifier(config, context, where),
  slack: (config, context, where) => new SlackNotifier(config, context, where),
  faro: (config, context, where) => new FaroNotifier(config, context, where),
};

/** Builds one notifier. */
export function buildNotifier(
  config: NotifierConfig,
  context: NotifierContext = {},
  where = "notifier",
): Notifier {
  const build = notifierKinds[config.type] as NotifierBuilder<NotifierConfig> | undefined;
  if (build === undefined)
    throw new UserError(
      `${where}/type: unknown notifier type "${config.type}"; known types: ${Object.keys(notifierKinds).join(", ")}`,
    );
  return build(config, context, where);
}

/**
 * Builds every notifier of a config list. Names default to the type, so two of one type need a
 * `name` each; all problems are collected into one `UserError`, one line each.
 */
export function buildNotifiers(
  configs: readonly NotifierConfig[],
  context: NotifierContext = {},
  where = "notifiers",
): Notifier[] {
  const problems: string[] = [];
  const notifiers: Notifier[] = [];
  const seen = new Map<string, number>();
  configs.forEach((config, index) => {
    const path = `${where}/${index}`;
    const name = config.name ?? config.type;
    const first = seen.get(name);
    if (first !== undefined)
      problems.push(
        `${path}/name: notifier name "${name}" is already used by ${where}/${first}; give each a distinct "name"`,
      );
    else seen.set(name, index);
    try {
      notifiers.push(buildNotifier(config, context, path));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push(error.message);
    }
  });
  if (problems.length === 1) throw new UserError(problems[0]);
  if (problems.length > 1) throw new UserError(`${problems.length} problems:\n  ${problems.join("\n  ")}`);
  return notifiers;
}
