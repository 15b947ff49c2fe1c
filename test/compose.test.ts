import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";

describe("docker-compose.yml", () => {
  const compose = parse(readFileSync("docker-compose.yml", "utf8")) as {
    services: Record<
      string,
      { build?: string; image?: string; command?: string[]; ports?: string[]; depends_on?: string[] }
    >;
  };

  it("builds the daemon from the Dockerfile and runs a config the image contains", () => {
    const daemon = compose.services.driftwatch;
    assert.equal(daemon.build, ".");
    assert.ok(existsSync("Dockerfile"));
    const dockerfile = readFileSync("Dockerfile", "utf8");
    const config = (daemon.command ?? [])[2].replace(/^\$\{DRIFTWATCH_CONFIG:-(.*)\}$/, "$1");
    assert.ok(existsSync(config), config);
    assert.match(dockerfile, /^COPY drift \.\/drift$/m, "the config is copied into the image");
    assert.match(dockerfile, /^EXPOSE 9464$/m);
  });

  it("names only services that exist and publishes the metrics port the daemon listens on", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dependency of service.depends_on ?? [])
        assert.ok(dependency in compose.services, `${name} depends on ${dependency}`);
    }
    const daemon = compose.services.driftwatch;
    const listen = (daemon.command ?? [])[(daemon.command ?? []).indexOf("--metrics-listen") + 1];
    assert.deepEqual(daemon.ports, [`${listen.split(":")[1]}:${listen.split(":")[1]}`]);
  });
});
