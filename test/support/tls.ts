import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The files of a test PKI, all PEM. */
export interface TestPki {
  /** The CA that signs the broker's and the client's certificates. */
  readonly ca: string;
  /** The broker's unencrypted PKCS#8 key followed by its certificate (for `localhost`). */
  readonly brokerKeystore: string;
  /** A client certificate signed by the CA, and its key, for mutual TLS. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the broker. */
  readonly otherCa: string;
}

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes a CA, a broker certificate for `localhost` and a client certificate with `openssl`, in `dir`. */
export function makeTestPki(dir: string): TestPki {
  const at = (name: string) => join(dir, name);
  const selfSigned = (key: string, cert: string, cn: string) =>
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
    );
  selfSigned(at("ca.key"), at("ca.pem"), "driftwatch test CA");
  selfSigned(at("other-ca.key"), at("other-ca.pem"), "another CA");
  const signed = (name: string, cn: string, san: string | null): void => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      at(`${name}.key`),
      "-out",
      at(`${name}.csr`),
      "-subj",
      `/CN=${cn}`,
    );
    const ext = at(`${name}.ext`);
    writeFileSync(ext, san === null ? "basicConstraints=CA:FALSE\n" : `subjectAltName=${san}\n`);
    openssl(
      "x509",
      "-req",
      "-in",
      at(`${name}.csr`),
      "-CA",
      at("ca.pem"),
      "-CAkey",
      at("ca.key"),
      "-CAcreateserial",
      "-out",
      at(`${name}.crt`),
      "-days",
      "2",
      "-extfile",
      ext,
    );
  };
  signed("broker", "localhost", "DNS:localhost");
  signed("client", "driftwatch", null);
  // Kafka reads a PEM keystore as an unencrypted PKCS#8 key and the certificate chain.
  openssl("pkcs8", "-topk8", "-nocrypt", "-in", at("broker.key"), "-out", at("broker.p8"));
  const keystore = at("broker-keystore.pem");
  writeFileSync(keystore, Buffer.concat([readFileSync(at("broker.p8")), readFileSync(at("broker.crt"))]));
  return {
    ca: at("ca.pem"),
    brokerKeystore: keystore,
    clientCert: at("client.crt"),
    clientKey: at("client.key"),
    otherCa: at("other-ca.pem"),
  };
}

/** An unsecured OAuth bearer token (`alg: none`) for `sub`, which the test broker's validator accepts. */
export function unsecuredToken(sub: string, ttlSecs = 3600): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none" })}.${part({ sub, iat: now, exp: now + ttlSecs })}.`;
}
