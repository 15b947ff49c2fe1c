// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config syntax for environment references, not a template
import assert from "node:assert/strict";
import { redact, resolveEnv, resolveUrl } from "../../../src/alerts/notifiers/secrets.js";
import { UserError } from "../../../src/errors.js";

describe("notifier secrets", () => {
  it("substitutes whole and partial ${NAME} references from the environment", () => {
    const env = { HOOK: "https://hooks.example.com/a/b", TOKEN: "s3cr3t" };
    assert.equal(resolveEnv("${HOOK}", env, "x"), "https://hooks.example.com/a/b");
    assert.equal(
      resolveEnv("https://h.example.com/x?token=${TOKEN}", env, "x"),
      "https://h.example.com/x?token=s3cr3t",
    );
    assert.equal(resolveEnv("no references", env, "x"), "no references");
  });

  it("names a missing variable and the config field, and never shows a value", () => {
    assert.throws(
      () =>
        resolveEnv(
          "https://h.example.com/${PRESENT}/${SLACK_TOKEN}",
          { PRESENT: "visible-secret" },
          "notifiers/2/url",
        ),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.match(
          error.message,
          /^notifiers\/2\/url: environment variable "SLACK_TOKEN" not set or empty/,
        );
        assert.doesNotMatch(error.message, /visible-secret/);
        return true;
      },
    );
  });

  it("treats an empty variable as missing", () => {
    assert.throws(() => resolveEnv("${EMPTY}", { EMPTY: "" }, "u"), /"EMPTY" not set or empty/);
  });

  it("rejects a non-http URL without printing the resolved value", () => {
    assert.throws(
      () => resolveUrl("${U}", { U: "ftp://user:hunter2@example.com/x" }, "notifiers/0/url"),
      (error: unknown) => {
        assert.match((error as Error).message, /expected an http or https URL, got scheme "ftp"/);
        assert.doesNotMatch((error as Error).message, /hunter2/);
        return true;
      },
    );
    assert.throws(
      () => resolveUrl("${U}", { U: "not a url hunter2" }, "n"),
      (error: unknown) => {
        assert.match((error as Error).message, /n: not a valid URL .*template "\$\{U\}"/);
        assert.doesNotMatch((error as Error).message, /hunter2/);
        return true;
      },
    );
  });

  it("redacts a URL to its scheme and host", () => {
    assert.equal(redact("https://hooks.slack.com/services/T0/B0/XYZ?x=1"), "https://hooks.slack.com");
    assert.equal(redact("http://user:pw@127.0.0.1:9093/api"), "http://127.0.0.1:9093");
    assert.equal(redact("::::"), "<invalid url>");
  });
});
