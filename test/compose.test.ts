import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, resolve } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { loadConfig } from "../src/config/load.js";

// docker-compose.yml cannot be run here (no Docker engine): it is checked against the compose-spec
// JSON Schema (test/fixtures/compose-spec/, see SOURCE.md there) and for consistency between the
// services, the files they mount and the URLs and ports the configs name.

interface Service {
  build?: string;
  image?: string;
  entrypoint?: string[];
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
type Yaml = Record<string, unknown>;

const compose = parse(readFileSync("docker-compose.yml", "utf8")) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const yamlFile = (path: string) => parse(readFileSync(path, "utf8")) as Yaml;
const dependencies = (service: Service) =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
/** `${VAR:-default}` as Compose resolves it with VAR unset. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
/** Container ports the service publishes, by host port. */
const published = (service: Service) =>
  new Map(
    (service.ports ?? []).map((port) => {
      const [host, container] = port.split(":").slice(-2);
      return [Number(host), Number(container)] as const;
    }),
  );
/** Bind mounts: container path → host path (relative to the repository). */
const binds = (service: Service) =>
  new Map(
    (service.volumes ?? [])
      .map((volume) => volume.split(":"))
      .filter(([source]) => source.startsWith("./") || source.startsWith("/"))
      .map(([source, target, mode]) => [target, { source, readOnly: mode === "ro" }] as const),
  );
/** The host file a container path resolves to through the service's bind mounts. */
function hostPath(service: Service, containerPath: string): string | undefined {
  for (const [target, { source }] of binds(service)) {
    if (containerPath === target) return source;
    if (containerPath.startsWith(`${target}/`)) return join(source, posix.relative(target, containerPath));
  }
  return undefined;
}
const flag = (args: string[], name: string) => {
  const inline = args.find((arg) => arg.startsWith(`${name}=`));
  return inline ? inline.slice(name.length + 1) : args[args.indexOf(name) + 1];
};
const url = (value: string) => new URL(value);

const daemon = services.driftwatch;
const daemonArgs = (daemon.command ?? []).map(interpolate);
const daemonConfigPath = flag(daemonArgs, "--config");
const daemonConfig = yamlFile(daemonConfigPath) as {
  sources: Record<string, { type: string; brokers: string[]; topic: string }>;
  notifiers: { type: string; url: string }[];
  metrics: { listen: string };
};
const prometheusConfigPath = hostPath(services.prometheus, "/etc/prometheus/prometheus.yml") ?? "";
const prometheusConfig = yamlFile(prometheusConfigPath) as {
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
};

/** Fails (never skips) when a tool the suite needs is missing. */
function requireTool(tool: string, debianPackage: string): void {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
  } catch {
    assert.fail(`${tool} is not installed: run \`npm run setup\` (Debian package ${debianPackage})`);
  }
}

describe("docker-compose.yml", () => {
  it("is valid against the compose-spec JSON Schema", () => {
    const schema = JSON.parse(readFileSync("test/fixtures/compose-spec/compose-spec.json", "utf8"));
    // The vendored revision declares draft 2019-09 but uses draft-04/07 keywords (SOURCE.md): drop
    // `$schema` and its informational draft-04 `id`s, which Ajv 8 rejects.
    delete schema.$schema;
    const dropIds = (node: unknown, parent?: string): void => {
      if (typeof node !== "object" || node === null) return;
      const record = node as Record<string, unknown>;
      if (parent !== "properties" && typeof record.id === "string") delete record.id;
      for (const [key, child] of Object.entries(record)) dropIds(child, key);
    };
    dropIds(schema);
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat("duration", /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
    ajv.addFormat("ports", () => true); // port syntax is checked by the port tests below
    ajv.addFormat("subnet_ip_address", () => true);
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
    // The schema does reject what Compose rejects: an unknown service key, a malformed duration.
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.driftwatch.cmmand = ["run"];
    assert.equal(validate(broken), false);
    const late = structuredClone(compose) as { services: Record<string, { healthcheck?: object }> };
    late.services.kafka.healthcheck = { ...late.services.kafka.healthcheck, interval: "ten seconds" };
    assert.equal(validate(late), false);
  });

  it("has the whole stack with pinned images", () => {
    assert.deepEqual(Object.keys(services).sort(), [
      "alertmanager",
      "driftwatch",
      "grafana",
      "kafka",
      "producer",
      "prometheus",
    ]);
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined) continue;
      assert.match(service.image ?? "", /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name} pins its image tag`);
    }
    assert.match(services.prometheus.image ?? "", /^prom\/prometheus:/);
    assert.match(services.alertmanager.image ?? "", /^prom\/alertmanager:/);
    assert.match(services.grafana.image ?? "", /^grafana\/grafana:/);
    assert.match(services.kafka.image ?? "", /^apache\/kafka:/);
  });

  it("depends only on services that exist, and on healthy ones only where a healthcheck exists", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of dependencies(service)) {
        assert.ok(dependency in services, `${name} depends on ${dependency}`);
        const condition = Array.isArray(service.depends_on)
          ? undefined
          : service.depends_on?.[dependency]?.condition;
        if (condition === "service_healthy")
          assert.ok(services[dependency].healthcheck, `${dependency} has a healthcheck`);
      }
    }
  });

  it("mounts host paths and builds contexts that exist, and names its volumes", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined) {
        assert.ok(statSync(service.build).isDirectory(), `${name} build context`);
        assert.ok(existsSync(join(service.build, "Dockerfile")), `${name} Dockerfile`);
      }
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(":");
        if (source.startsWith("./") || source.startsWith("/"))
          assert.ok(existsSync(source), `${name}: ${source}`);
        else assert.ok(source in (compose.volumes ?? {}), `${name}: volume ${source} is declared`);
      }
      for (const [target, { source, readOnly }] of binds(service))
        assert.ok(readOnly, `${name} mounts ${source} at ${target} read-only`);
    }
  });

  it("publishes unique host ports, each on the port its service listens on", () => {
    const hostPorts = Object.values(services).flatMap((service) => [...published(service).keys()]);
    assert.equal(new Set(hostPorts).size, hostPorts.length, "no host port twice");
    const expected: Record<string, [number, number]> = {
      driftwatch: [9464, Number(daemonArgs[daemonArgs.indexOf("--metrics-listen") + 1].split(":")[1])],
      prometheus: [
        9090,
        Number(flag(services.prometheus.command ?? [], "--web.listen-address").split(":")[1]),
      ],
      alertmanager: [
        9093,
        Number(flag(services.alertmanager.command ?? [], "--web.listen-address").split(":")[1]),
      ],
      grafana: [3000, Number(services.grafana.environment?.GF_SERVER_HTTP_PORT)],
    };
    for (const [name, [host, listens]] of Object.entries(expected))
      assert.equal(published(services[name]).get(host), listens, `${name} publishes ${host}`);
    // Kafka: the host port goes to the listener advertised as localhost:<host port>.
    const kafka = services.kafka.environment ?? {};
    const listeners = Object.fromEntries(
      kafka.KAFKA_LISTENERS.split(",").map((l) => [l.split(":")[0], Number(l.split(":").at(-1))]),
    );
    const advertised = Object.fromEntries(
      kafka.KAFKA_ADVERTISED_LISTENERS.split(",").map((l) => [l.split("://")[0], l.split("://")[1]]),
    );
    const [[hostPort, containerPort]] = [...published(services.kafka)];
    assert.equal(hostPort, 9092);
    const hostListener = Object.keys(listeners).find((name) => listeners[name] === containerPort) ?? "";
    assert.equal(advertised[hostListener], `localhost:${hostPort}`);
    assert.equal(advertised.PLAINTEXT, `kafka:${listeners.PLAINTEXT}`, "containers reach kafka:<port>");
  });
});

describe("the compose stack's configs", () => {
  it("runs a daemon config the image contains, and the daemon's loader accepts it", () => {
    assert.equal(daemonConfigPath, "deploy/driftwatch.yaml");
    const dockerfile = readFileSync("Dockerfile", "utf8");
    for (const dir of ["deploy", "drift", "schemas"])
      assert.match(dockerfile, new RegExp(`^COPY ${dir} \\./${dir}$`, "m"));
    assert.match(dockerfile, /^EXPOSE 9464$/m);
    const loaded = loadConfig(resolve(daemonConfigPath));
    assert.ok(loaded);
  });

  it("points the daemon at the kafka service, its metrics where Prometheus scrapes, its alerts at Alertmanager", () => {
    const kafkaPort = (services.kafka.environment?.KAFKA_LISTENERS ?? "").match(/PLAINTEXT:\/\/:(\d+)/)?.[1];
    for (const source of Object.values(daemonConfig.sources).filter((s) => s.type === "kafka"))
      assert.deepEqual(source.brokers, [`kafka:${kafkaPort}`]);
    const listen = daemonArgs[daemonArgs.indexOf("--metrics-listen") + 1];
    assert.equal(daemonConfig.metrics.listen, listen, "config and --metrics-listen agree");
    assert.equal(listen, "0.0.0.0:9464", "reachable from the other containers");

    const alertmanagerPort = flag(services.alertmanager.command ?? [], "--web.listen-address").split(":")[1];
    const notifier = daemonConfig.notifiers.find((n) => n.type === "alertmanager");
    assert.ok(notifier);
    assert.equal(url(notifier.url).host, `alertmanager:${alertmanagerPort}`);
    assert.ok(dependencies(daemon).includes("alertmanager"));
  });

  it("has the producer write the topic the daemon reads, on the same brokers, from a file the image has", () => {
    const producer = services.producer;
    assert.equal(producer.build, daemon.build, "the producer runs in the daemon's image");
    const [script] = (producer.entrypoint ?? []).slice(1);
    const configPath = (producer.command ?? [])[0];
    assert.ok(existsSync(script), script);
    const config = JSON.parse(readFileSync(configPath, "utf8")) as {
      brokers: string[];
      topic: string;
      file: string;
      rate_per_sec: number;
    };
    const [source] = Object.values(daemonConfig.sources);
    assert.deepEqual(config.brokers, source.brokers);
    assert.equal(config.topic, source.topic);
    const data = join(configPath, "..", config.file);
    assert.equal(data, "drift/demo/seattle-weather.jsonl");
    assert.ok(existsSync(data));
    assert.ok(config.rate_per_sec > 0);
    assert.ok(dependencies(producer).includes("kafka"));
    execFileSync(process.execPath, ["--check", script]);
  });

  it("has Prometheus scrape the daemon, load the shipped rules and alert to Alertmanager", () => {
    assert.equal(prometheusConfigPath, "./deploy/prometheus/prometheus.yml");
    const scrape = prometheusConfig.scrape_configs.find((job) => job.job_name === "driftwatch");
    assert.ok(scrape);
    assert.deepEqual(scrape.static_configs[0].targets, [
      `driftwatch:${daemonConfig.metrics.listen.split(":")[1]}`,
    ]);
    const alertmanagerPort = flag(services.alertmanager.command ?? [], "--web.listen-address").split(":")[1];
    assert.deepEqual(prometheusConfig.alerting.alertmanagers[0].static_configs[0].targets, [
      `alertmanager:${alertmanagerPort}`,
    ]);
    assert.ok(prometheusConfig.rule_files.length > 0);
    for (const rules of prometheusConfig.rule_files)
      assert.equal(
        posix.normalize(hostPath(services.prometheus, rules) ?? ""),
        "dashboards/rules/driftwatch.rules.yml",
        rules,
      );
    assert.equal(
      flag(services.prometheus.command ?? [], "--config.file"),
      "/etc/prometheus/prometheus.yml",
      "Prometheus reads the mounted config",
    );
  });

  it("passes promtool check config with the container paths mapped onto the repository", () => {
    requireTool("promtool", "prometheus");
    // A copy of prometheus.yml with each rule file rewritten to the host file its mount resolves to.
    const dir = mkdtempSync(join(tmpdir(), "driftwatch-prometheus-"));
    const rewritten = readFileSync(prometheusConfigPath, "utf8").replace(
      /^(\s*- )(\/etc\/prometheus\/rules\/\S+)$/gm,
      (_, prefix: string, path: string) => `${prefix}${resolve(hostPath(services.prometheus, path) ?? path)}`,
    );
    const copy = join(dir, "prometheus.yml");
    writeFileSync(copy, rewritten);
    execFileSync("promtool", ["check", "config", copy], { stdio: "pipe" });
  });

  it("has an Alertmanager config that amtool accepts, with a default receiver", () => {
    const configPath = hostPath(services.alertmanager, "/etc/alertmanager/alertmanager.yml") ?? "";
    const config = yamlFile(configPath) as { route: { receiver: string }; receivers: { name: string }[] };
    assert.ok(config.receivers.some((receiver) => receiver.name === config.route.receiver));
    requireTool("amtool", "prometheus-alertmanager");
    execFileSync("amtool", ["check-config", configPath], { stdio: "pipe" });
  });

  it("provisions Grafana with the prometheus service as the dashboards' datasource", () => {
    const grafana = services.grafana;
    const provisioning = hostPath(grafana, "/etc/grafana/provisioning/datasources") ?? "";
    const datasources = readdirSync(provisioning).flatMap(
      (file) => (yamlFile(join(provisioning, file)) as { datasources: Yaml[] }).datasources,
    );
    const prometheus = datasources.find((d) => d.type === "prometheus");
    assert.ok(prometheus);
    const prometheusPort = flag(services.prometheus.command ?? [], "--web.listen-address").split(":")[1];
    assert.equal(url(String(prometheus.url)).host, `prometheus:${prometheusPort}`);
    assert.equal(prometheus.isDefault, true, "the dashboards' datasource variable defaults to it");
    assert.ok(dependencies(grafana).includes("prometheus"));

    // Every dashboard picks a prometheus datasource through its variable (or names this uid).
    for (const file of readdirSync("dashboards/grafana").filter((f) => f.endsWith(".json"))) {
      const text = readFileSync(join("dashboards/grafana", file), "utf8");
      const dashboard = JSON.parse(text) as {
        templating: { list: { name: string; type: string; query: string; current?: { value?: string } }[] };
      };
      const variable = dashboard.templating.list.find((v) => v.type === "datasource");
      assert.ok(variable, file);
      assert.equal(variable.query, "prometheus", file);
      const current = variable.current?.value;
      if (current)
        assert.ok(current === prometheus.uid || current === prometheus.name, `${file}: ${current}`);
      for (const [, uid] of text.matchAll(/"uid": "([^"]*)"/g)) {
        if (uid === `$${"{datasource}"}` || uid === "-- Grafana --") continue;
        assert.ok(!/datasource/i.test(uid), `${file}: datasource uid ${uid}`);
      }
    }
  });

  it("provisions the dashboards from the folder the dashboards are mounted at", () => {
    const grafana = services.grafana;
    const provisioning = hostPath(grafana, "/etc/grafana/provisioning/dashboards") ?? "";
    const providers = readdirSync(provisioning).flatMap(
      (file) =>
        (yamlFile(join(provisioning, file)) as { providers: { type: string; options: { path: string } }[] })
          .providers,
    );
    assert.equal(providers.length, 1);
    assert.equal(providers[0].type, "file");
    assert.equal(hostPath(grafana, providers[0].options.path), "./dashboards/grafana");
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? "";
    assert.ok(existsSync(hostPath(grafana, home) ?? ""), home);
    assert.equal(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE, "Viewer");
  });
});
