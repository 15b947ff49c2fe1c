import { strict as assert } from "node:assert";
import { rmSync } from "node:fs";
import { saslOptions, tlsOptions } from "../../src/sources/kafka-security.js";
import { scratch } from "../support/cli.js";
import { kafkaSourceProblems } from "../support/config.js";

const { dir, file } = scratch("driftwatch-kafka-security-");

/** The problems of a config whose kafka source has these extra keys (YAML, indented 4). */
const problemsOf = (security: string): string[] => kafkaSourceProblems(file, security);

describe("kafka tls and sasl in the config", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts every mechanism with its secret from the environment or a file", () => {
    file("pw.txt", "secret\n");
    file("ca.pem", "-");
    process.env.DW_TEST_PW = "secret";
    try {
      for (const security of [
        "    tls: true\n    sasl: { mechanism: plain, username: u, password_env: DW_TEST_PW }",
        "    tls: { ca_file: ca.pem }\n    sasl: { mechanism: scram-sha-256, username: u, password_file: pw.txt }",
        "    sasl: { mechanism: scram-sha-512, username: u, password_env: DW_TEST_PW }",
        "    tls: { ca_file: ca.pem, verify_hostname: false }\n    sasl: { mechanism: oauthbearer, token_file: pw.txt }",
      ])
        assert.deepEqual(problemsOf(security), [], security);
    } finally {
      delete process.env.DW_TEST_PW;
    }
  });

  it("refuses a secret written in the config, and names what is missing or does not go together", () => {
    assert.deepEqual(problemsOf("    sasl: { mechanism: plain, username: u, password: hunter2 }"), [
      '/sources/inputs/sasl mechanism "plain" needs exactly one of password_env, password_file (secrets are not written in the config)',
      '/sources/inputs/sasl/password unknown key "password"; known keys: mechanism, username, password_env, password_file, token_env, token_file',
    ]);
    assert.deepEqual(
      problemsOf("    sasl: { mechanism: scram-sha-256, username: u, password_env: DW_UNSET_VAR }"),
      ["/sources/inputs/sasl/password_env environment variable DW_UNSET_VAR is not set"],
    );
    assert.deepEqual(problemsOf("    sasl: { mechanism: scram-sha-256, password_file: nope.txt }"), [
      '/sources/inputs/sasl mechanism "scram-sha-256" needs username',
      `/sources/inputs/sasl/password_file file not found: ${dir}/nope.txt`,
    ]);
    assert.deepEqual(
      problemsOf("    sasl: { mechanism: oauthbearer, username: u, token_env: DW_UNSET_VAR }"),
      [
        "/sources/inputs/sasl/token_env environment variable DW_UNSET_VAR is not set",
        '/sources/inputs/sasl/username not used by mechanism "oauthbearer"',
      ],
    );
    assert.deepEqual(problemsOf("    tls: { cert_file: ca.pem }"), [
      "/sources/inputs/tls cert_file and key_file go together (mutual TLS needs both)",
    ]);
  });

  it("reads the secrets and files into kafkajs's options, hostname verification on unless turned off", () => {
    file("token.txt", "tok-1\n");
    const resolvePath = (p: string) => `${dir}/${p}`;
    const tls = tlsOptions({ brokers: [], tls: { ca_file: "ca.pem" }, resolvePath });
    assert.ok(typeof tls === "object" && tls.checkServerIdentity === undefined, "node's check stays");
    const off = tlsOptions({ brokers: [], tls: { ca_file: "ca.pem", verify_hostname: false }, resolvePath });
    assert.ok(typeof off === "object" && off.checkServerIdentity?.("x", {} as never) === undefined);
    assert.equal(tlsOptions({ brokers: [], tls: true, resolvePath }), true);
    const sasl = saslOptions({
      brokers: [],
      sasl: { mechanism: "scram-sha-512", username: "u", password_file: "pw.txt" },
      resolvePath,
    });
    assert.deepEqual(sasl, { mechanism: "scram-sha-512", username: "u", password: "secret" });
    assert.throws(
      () => tlsOptions({ brokers: [], tls: { ca_file: "gone.pem" }, resolvePath }),
      new RegExp(`^Error: CA file ${dir}/gone.pem: cannot read: ENOENT$`),
    );
  });

  it("reads a token file again for every token, so that a sidecar can refresh it", async () => {
    const resolvePath = (p: string) => `${dir}/${p}`;
    const sasl = saslOptions({
      brokers: [],
      sasl: { mechanism: "oauthbearer", token_file: "token.txt" },
      resolvePath,
    });
    assert.ok(sasl?.mechanism === "oauthbearer");
    assert.deepEqual(await sasl.oauthBearerProvider(), { value: "tok-1" });
    file("token.txt", "tok-2");
    assert.deepEqual(await sasl.oauthBearerProvider(), { value: "tok-2" });
  });
});
