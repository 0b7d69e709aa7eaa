#!/usr/bin/python3
"""Checks the deploy kit against the vitals server's defaults, mechanically.

- deploy/kubernetes/*.yaml: parse; probes (liveness /live, readiness /ready, startup /live)
  on the server's port; prometheus.io/{scrape,port,path} annotations; container args (every
  flag one that examples/demo_service.cpp accepts; --drain longer than the readiness period
  and shorter than the grace period; --token-file inside the mounted token Secret, whose
  key exists in secret.yaml); the Service's selector and targetPort.
- deploy/kubernetes/{podmonitor,servicemonitor}.yaml (prometheus-operator): selectors match
  the pods / the Service, the named port exists and is the server's, the path, the bearer
  token taken from the same Secret and key, the job relabelled to "vitals".
- deploy/kubernetes/prometheus-rbac.yaml: a ServiceAccount, a ClusterRole that may get, list
  and watch what the discovery above needs, and a binding of one to the other.
- deploy/prometheus/kubernetes-pods.yml: its relabel rules, applied to the pod of
  deployment.yaml the way Prometheus's pod discovery presents it, yield the target
  <pod IP>:<port> with the metrics path; a pod without the annotation is dropped; the
  bearer token file is the mounted Secret's.
- deploy/docker-compose.yml, deploy/Dockerfile: parse; ports, command, mounted files, the
  scrape target of prometheus.yml and the Grafana data source and dashboard paths agree.
- deploy/grafana: provisioning files parse; dashboards parse, use the datasource variable,
  set a unit on every panel and a legend on every query.

The defaults (port, paths) are read from include/vitals/server.hpp when it exists, else
the documented defaults are used; the script says which. Needs PyYAML (python3-yaml).
"""

import fnmatch
import glob
import json
import os
import re
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
DEPLOY = os.path.join(ROOT, "deploy")

DOCUMENTED = {"port": 9090, "metrics": "/metrics", "live": "/live", "ready": "/ready", "health": "/health"}

results = []


def check(ok, what, detail=""):
    results.append((bool(ok), what, detail))
    return bool(ok)


def load_yaml_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# ---------------------------------------------------------------- server defaults


def server_defaults():
    path = os.path.join(ROOT, "include/vitals/server.hpp")
    if not os.path.exists(path):
        return dict(DOCUMENTED), "documented defaults (include/vitals/server.hpp not present)"
    src = ""
    # server_options may live in server.hpp or in one of the headers under server/.
    for p in [path] + sorted(glob.glob(os.path.join(ROOT, "include/vitals/server/*.hpp"))):
        with open(p, encoding="utf-8") as f:
            src += f.read() + "\n"
    found = dict(DOCUMENTED)
    # server_options: "std::uint16_t port = 9090;" and "std::string live_path = "/live";".
    m = re.search(r"\bport\s*=\s*(\d{1,5})\s*;", src)
    check(m, "server.hpp: default port read from server_options", "" if m else "no 'port = N;' found")
    if m:
        found["port"] = int(m.group(1))
    for key in ("metrics", "live", "ready", "health"):
        pm = re.search(r"\b" + key + r'_path\s*=\s*"([^"]*)"\s*;', src)
        check(pm, f"server.hpp: default {key}_path read from server_options", "" if pm else "not found")
        if pm:
            found[key] = pm.group(1)
    return found, "include/vitals/server.hpp"


# ---------------------------------------------------------------- Kubernetes


def resolve_port(port, container):
    """A probe/target port given as a number or a container port name -> number."""
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def flag_value(args, flag):
    args = [str(a) for a in (args or [])]
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
    return None


def check_kubernetes(defaults):
    port = defaults["port"]
    dep_path = os.path.join(DEPLOY, "kubernetes/deployment.yaml")
    svc_path = os.path.join(DEPLOY, "kubernetes/service.yaml")
    docs = load_yaml_docs(dep_path)
    deps = [d for d in docs if d.get("kind") == "Deployment"]
    if not check(len(deps) == 1, "deployment.yaml holds one Deployment"):
        return None
    dep = deps[0]
    tmpl = dep["spec"]["template"]
    check(dep["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(),
          "Deployment selector matches its pod labels")
    ann = tmpl["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true", 'annotation prometheus.io/scrape is the string "true"',
          repr(ann.get("prometheus.io/scrape")))
    check(ann.get("prometheus.io/port") == str(port), f'annotation prometheus.io/port is "{port}"',
          repr(ann.get("prometheus.io/port")))
    check(ann.get("prometheus.io/path", defaults["metrics"]) == defaults["metrics"],
          f"annotation prometheus.io/path is {defaults['metrics']}", repr(ann.get("prometheus.io/path")))

    containers = tmpl["spec"]["containers"]
    served = [c for c in containers if any(p.get("containerPort") == port for p in c.get("ports", []))]
    if not check(len(served) == 1, f"one container declares containerPort {port}"):
        return dep
    c = served[0]
    arg_port = flag_value(c.get("args"), "--port")
    check(arg_port in (None, str(port)), f"container args --port is {port}", repr(arg_port))
    expect = {"livenessProbe": defaults["live"], "readinessProbe": defaults["ready"]}
    if "startupProbe" in c:
        expect["startupProbe"] = defaults["live"]
    for probe, path in expect.items():
        p = c.get(probe)
        if not check(p and "httpGet" in p, f"{probe} is an httpGet probe"):
            continue
        got_path = p["httpGet"].get("path")
        got_port = resolve_port(p["httpGet"].get("port"), c)
        check(got_path == path, f"{probe} path is {path}", repr(got_path))
        check(got_port == port, f"{probe} port is {port}", repr(p["httpGet"].get("port")))
    # Liveness must not use /ready or /health: both answer 503 while draining or when a
    # dependency fails, and a restart would not fix either.
    live = (c.get("livenessProbe") or {}).get("httpGet", {}).get("path")
    check(live not in (defaults["ready"], defaults["health"]), "liveness does not probe /ready or /health")
    grace = tmpl["spec"].get("terminationGracePeriodSeconds", 30)
    check(isinstance(grace, int) and grace >= 5, "terminationGracePeriodSeconds leaves time to drain", repr(grace))
    check_demo_args(c, tmpl, grace)

    svcs = [d for d in load_yaml_docs(svc_path) if d.get("kind") == "Service"]
    if check(len(svcs) == 1, "service.yaml holds one Service"):
        svc = svcs[0]
        check(svc["spec"]["selector"].items() <= tmpl["metadata"]["labels"].items(),
              "Service selector matches the pod labels")
        targets = [resolve_port(p.get("targetPort", p.get("port")), c) for p in svc["spec"]["ports"]]
        check(port in targets, f"Service targets container port {port}", repr(targets))
    return dep


def demo_flags():
    """The --flags examples/demo_service.cpp accepts, read from its usage text."""
    with open(os.path.join(ROOT, "examples/demo_service.cpp"), encoding="utf-8") as f:
        src = f.read()
    usage = re.search(r"void usage\(\) \{(.*?)\n\}", src, re.S)
    return set(re.findall(r"--([a-z][a-z-]*)", usage.group(1))) if usage else set()


def token_secret():
    """(name, keys) of the Secret in secret.yaml, or (None, set())."""
    path = os.path.join(DEPLOY, "kubernetes/secret.yaml")
    secrets = [d for d in load_yaml_docs(path) if d.get("kind") == "Secret"]
    if not check(len(secrets) == 1, "secret.yaml holds one Secret"):
        return None, set()
    sec = secrets[0]
    keys = set((sec.get("stringData") or {}).keys()) | set((sec.get("data") or {}).keys())
    check(keys, "the Secret has a key", repr(keys))
    return sec["metadata"]["name"], keys


def check_demo_args(c, tmpl, grace):
    args = [str(a) for a in c.get("args") or []]
    known = demo_flags()
    check(known >= {"port", "bind", "namespace", "drain", "token-file"},
          "demo_service's usage lists --drain and --token-file", repr(sorted(known)))
    used = [a[2:].split("=", 1)[0] for a in args if a.startswith("--")]
    unknown = [f for f in used if f not in known]
    check(not unknown, "every container flag is one demo_service accepts", repr(unknown))

    drain = flag_value(args, "--drain")
    ready = c.get("readinessProbe") or {}
    period = ready.get("periodSeconds", 10) * ready.get("failureThreshold", 3)
    try:
        d = float(drain)
    except (TypeError, ValueError):
        d = None
    check(d is not None and d > period,
          f"--drain outlasts the readiness period ({period} s: periodSeconds x failureThreshold)",
          repr(drain))
    check(d is not None and grace >= d + 5,
          "terminationGracePeriodSeconds exceeds the drain plus 5 s of shutdown", f"{grace} vs {drain}")

    name, keys = token_secret()
    token = flag_value(args, "--token-file")
    if not check(token, "container args pass --token-file"):
        return
    volumes = {v.get("name"): v for v in tmpl["spec"].get("volumes", [])}
    found = None
    for m in c.get("volumeMounts", []):
        mount = m.get("mountPath", "").rstrip("/") + "/"
        if token.startswith(mount):
            found = (m, volumes.get(m.get("name")), token[len(mount):])
    if not check(found, "--token-file lies in a mounted volume", token):
        return
    mount, vol, rel = found
    check(mount.get("readOnly") is True, "the token volume is mounted read-only")
    sec = (vol or {}).get("secret") or {}
    check(sec.get("secretName") == name, f"the token volume is the Secret {name}", repr(sec))
    items = {i.get("path"): i.get("key") for i in sec.get("items", [])} if sec.get("items") else None
    key = items.get(rel) if items is not None else rel
    check(key in keys, f"--token-file names the Secret's key ({rel})", repr(sorted(keys)))


def check_monitors(defaults, dep):
    """prometheus-operator PodMonitor and ServiceMonitor against the pods, Service, Secret."""
    port = defaults["port"]
    tmpl = dep["spec"]["template"]
    pod_labels = tmpl["metadata"]["labels"]
    c = [c for c in tmpl["spec"]["containers"]
         if any(p.get("containerPort") == port for p in c.get("ports", []))][0]
    secret, keys = token_secret()
    svc = [d for d in load_yaml_docs(os.path.join(DEPLOY, "kubernetes/service.yaml"))
           if d.get("kind") == "Service"][0]
    for fname, kind, list_key in (("podmonitor.yaml", "PodMonitor", "podMetricsEndpoints"),
                                  ("servicemonitor.yaml", "ServiceMonitor", "endpoints")):
        docs = [d for d in load_yaml_docs(os.path.join(DEPLOY, "kubernetes", fname))
                if d.get("kind") == kind]
        if not check(len(docs) == 1, f"{fname} holds one {kind}"):
            continue
        mon = docs[0]
        check(mon.get("apiVersion") == "monitoring.coreos.com/v1", f"{fname}: apiVersion monitoring.coreos.com/v1")
        sel = mon["spec"]["selector"].get("matchLabels", {})
        target_labels = pod_labels if kind == "PodMonitor" else svc["metadata"].get("labels", {})
        check(sel and sel.items() <= target_labels.items(),
              f"{fname}: selector matches the {'pods' if kind == 'PodMonitor' else 'Service'}", repr(sel))
        eps = mon["spec"].get(list_key, [])
        if not check(len(eps) == 1, f"{fname}: one {list_key} entry"):
            continue
        ep = eps[0]
        if kind == "PodMonitor":
            named = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
        else:
            named = {p.get("name"): resolve_port(p.get("targetPort", p.get("port")), c)
                     for p in svc["spec"]["ports"]}
        check(named.get(ep.get("port")) == port, f"{fname}: port {ep.get('port')!r} is the server's {port}",
              repr(named))
        check(ep.get("path", "/metrics") == defaults["metrics"], f"{fname}: path {defaults['metrics']}")
        cred = (ep.get("authorization") or {}).get("credentials") or {}
        check((ep.get("authorization") or {}).get("type", "Bearer") == "Bearer" and
              cred.get("name") == secret and cred.get("key") in keys,
              f"{fname}: bearer token from the Secret {secret}", repr(ep.get("authorization")))
        job = [r for r in ep.get("relabelings", []) if r.get("targetLabel") == "job"]
        check(job and job[-1].get("replacement") == "vitals" and not job[-1].get("sourceLabels"),
              f'{fname}: the job label is "vitals" like the alert rules expect', repr(job))
        iv, to = ep.get("interval", "30s"), ep.get("scrapeTimeout", "10s")
        secs = lambda v: float(re.fullmatch(r"(\d+)s", v).group(1))
        check(secs(to) <= secs(iv), f"{fname}: scrapeTimeout {to} within interval {iv}")


def check_rbac():
    path = os.path.join(DEPLOY, "kubernetes/prometheus-rbac.yaml")
    docs = {d.get("kind"): d for d in load_yaml_docs(path)}
    for kind in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding"):
        check(kind in docs, f"prometheus-rbac.yaml has a {kind}")
    if not all(k in docs for k in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")):
        return
    allowed = set()
    for rule in docs["ClusterRole"].get("rules", []):
        verbs = set(rule.get("verbs", []))
        for group in rule.get("apiGroups", []):
            for res in rule.get("resources", []):
                if {"get", "list", "watch"} <= verbs:
                    allowed.add((group, res))
    need = {("", "pods"), ("", "services"), ("", "endpoints"), ("discovery.k8s.io", "endpointslices")}
    check(need <= allowed, "the ClusterRole may get, list and watch pods, services, endpoints, endpoint slices",
          repr(sorted(need - allowed)))
    check(not any(r.get("verbs") and set(r["verbs"]) - {"get", "list", "watch"}
                  for r in docs["ClusterRole"].get("rules", [])), "the ClusterRole only reads")
    b = docs["ClusterRoleBinding"]
    check(b["roleRef"].get("kind") == "ClusterRole" and b["roleRef"].get("name") == docs["ClusterRole"]["metadata"]["name"],
          "the binding refers to the ClusterRole")
    sa = docs["ServiceAccount"]["metadata"]
    check({"kind": "ServiceAccount", "name": sa["name"], "namespace": sa.get("namespace")} in
          [{"kind": s.get("kind"), "name": s.get("name"), "namespace": s.get("namespace")} for s in b.get("subjects", [])],
          "the binding's subject is the ServiceAccount")


# Prometheus relabeling, as far as kubernetes-pods.yml uses it (regexes are fully anchored).
def relabel(labels, configs):
    labels = dict(labels)
    for rc in configs:
        action = rc.get("action", "replace")
        sep = rc.get("separator", ";")
        value = sep.join(labels.get(s, "") for s in rc.get("source_labels", []))
        regex = re.compile(r"(?:" + rc.get("regex", "(.*)") + r")\Z", re.S)
        m = regex.match(value)
        if action == "keep":
            if not m:
                return None
        elif action == "drop":
            if m:
                return None
        elif action == "replace":
            if m:
                repl = rc.get("replacement", "$1")
                out = re.sub(r"\$\{?(\d+)\}?", lambda g: m.group(int(g.group(1))) or "", repl)
                if out:
                    labels[rc["target_label"]] = out
                else:
                    labels.pop(rc["target_label"], None)
        elif action == "labelmap":
            for k, v in list(labels.items()):
                mm = regex.match(k)
                if mm:
                    labels[re.sub(r"\$\{?(\d+)\}?", lambda g: mm.group(int(g.group(1))),
                                  rc.get("replacement", "$1"))] = v
        else:
            raise ValueError("relabel action not simulated: " + action)
    return labels


def sanitize(name):
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def discovered_targets(dep, annotate=True, ip="10.1.2.3", phase="Running"):
    """Targets as Prometheus's role: pod discovery presents them: one per container port."""
    tmpl = dep["spec"]["template"]
    out = []
    for c in tmpl["spec"]["containers"]:
        for p in c.get("ports", []):
            labels = {"__address__": f"{ip}:{p['containerPort']}", "__metrics_path__": "/metrics",
                      "__scheme__": "http", "__meta_kubernetes_namespace": "default",
                      "__meta_kubernetes_pod_name": "vitals-demo-5d8f7-abcde",
                      "__meta_kubernetes_pod_phase": phase,
                      "__meta_kubernetes_pod_container_name": c["name"],
                      "__meta_kubernetes_pod_container_port_number": str(p["containerPort"]),
                      "__meta_kubernetes_pod_container_port_name": p.get("name", "")}
            for k, v in tmpl["metadata"].get("labels", {}).items():
                labels["__meta_kubernetes_pod_label_" + sanitize(k)] = v
            if annotate:
                for k, v in tmpl["metadata"].get("annotations", {}).items():
                    labels["__meta_kubernetes_pod_annotation_" + sanitize(k)] = v
            out.append(labels)
    return out


def check_pod_scrape_config(dep, defaults):
    path = os.path.join(DEPLOY, "prometheus/kubernetes-pods.yml")
    cfg = load_yaml_docs(path)[0]
    jobs = [j for j in cfg.get("scrape_configs", []) if "kubernetes_sd_configs" in j]
    if not check(len(jobs) == 1, "kubernetes-pods.yml has one job with kubernetes_sd_configs"):
        return
    job = jobs[0]
    check(any(sd.get("role") == "pod" for sd in job["kubernetes_sd_configs"]), "it discovers pods (role: pod)")
    configs = job.get("relabel_configs", [])
    kept = [t for t in (relabel(t, configs) for t in discovered_targets(dep)) if t is not None]
    addrs = sorted({(t["__address__"], t["__metrics_path__"]) for t in kept})
    check(addrs == [(f"10.1.2.3:{defaults['port']}", defaults["metrics"])],
          f"annotated pod becomes the target 10.1.2.3:{defaults['port']}{defaults['metrics']}", repr(addrs))
    # Another declared port (a sidecar's, say) is rewritten to the annotated one; IPv6 too.
    for addr, want in (("10.1.2.3:8080", f"10.1.2.3:{defaults['port']}"),
                       ("[fd00::7]:8080", f"[fd00::7]:{defaults['port']}"),
                       ("[fd00::7]", f"[fd00::7]:{defaults['port']}")):
        t = dict(discovered_targets(dep)[0], __address__=addr)
        got = (relabel(t, configs) or {}).get("__address__")
        check(got == want, f"pod address {addr} becomes {want}", repr(got))
    dropped = [relabel(t, configs) for t in discovered_targets(dep, annotate=False)]
    check(all(t is None for t in dropped), "a pod without prometheus.io/scrape is not scraped")
    # The job sends the demo's token: another application's annotated pod must not get it.
    others = [dict(t, __meta_kubernetes_pod_label_app_kubernetes_io_name="billing")
              for t in discovered_targets(dep)]
    check(all(relabel(t, configs) is None for t in others),
          "an annotated pod of another application is not scraped (it would get the token)")
    for phase in ("Succeeded", "Failed"):
        done = [relabel(t, configs) for t in discovered_targets(dep, phase=phase)]
        check(all(t is None for t in done), f"a pod in phase {phase} is not scraped")
    pending = [t for t in (relabel(t, configs) for t in discovered_targets(dep, phase="Pending"))
               if t is not None]
    check(len(pending) > 0, "a starting pod (phase Pending) is scraped")
    check(job.get("job_name") == "vitals", 'the Kubernetes job is named "vitals" like the alert rules expect')
    secret, keys = token_secret()
    cred = (job.get("authorization") or {}).get("credentials_file", "")
    check(any(cred.endswith(f"/{secret}/{k}") for k in keys),
          f"kubernetes-pods.yml sends the bearer token of the Secret {secret} (mounted file)", repr(cred))


# ---------------------------------------------------------------- compose, Dockerfile, Grafana


def split_volume(v):
    if isinstance(v, dict):
        return v.get("source"), v.get("target")
    parts = v.split(":")
    return parts[0], parts[1] if len(parts) > 1 else None


def host_path(src):
    return os.path.normpath(os.path.join(DEPLOY, src)) if src.startswith(".") else None


def check_compose(defaults):
    port = defaults["port"]
    compose = load_yaml_docs(os.path.join(DEPLOY, "docker-compose.yml"))[0]
    services = compose.get("services", {})
    for name in ("demo", "prometheus", "grafana"):
        check(name in services, f"compose defines the service {name}")
    if not all(n in services for n in ("demo", "prometheus", "grafana")):
        return
    demo = services["demo"]
    build = demo.get("build", {})
    ctx = os.path.normpath(os.path.join(DEPLOY, build.get("context", ".")))
    dockerfile = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
    check(os.path.isfile(dockerfile), "compose demo build: Dockerfile exists", dockerfile)
    check(flag_value(demo.get("command"), "--port") in (None, str(port)), f"compose demo command port is {port}")
    container_ports = [int(str(p).split(":")[-1].split("/")[0]) for p in demo.get("ports", [])]
    check(port in container_ports, f"compose demo publishes container port {port}", repr(container_ports))

    # The scrape target of prometheus.yml is the demo service on the server port.
    prom = services["prometheus"]
    mounts = {split_volume(v)[1]: split_volume(v)[0] for v in prom.get("volumes", [])}
    src = mounts.get("/etc/prometheus")
    prom_dir = host_path(src) if src else None
    check(prom_dir and os.path.isfile(os.path.join(prom_dir, "prometheus.yml")),
          "compose mounts deploy/prometheus at /etc/prometheus", repr(src))
    cmd = " ".join(prom.get("command", []))
    check("--config.file=/etc/prometheus/prometheus.yml" in cmd, "Prometheus reads /etc/prometheus/prometheus.yml")
    cfg = load_yaml_docs(os.path.join(DEPLOY, "prometheus/prometheus.yml"))[0]
    for rf in cfg.get("rule_files", []):
        check(os.path.isfile(os.path.join(DEPLOY, "prometheus", rf)), f"rule file {rf} exists next to prometheus.yml")
    jobs = [j for j in cfg.get("scrape_configs", []) if j.get("job_name") == "vitals"]
    if check(len(jobs) == 1, 'prometheus.yml has the job "vitals"'):
        job = jobs[0]
        check(job.get("metrics_path", "/metrics") == defaults["metrics"],
              f"prometheus.yml scrapes {defaults['metrics']}")
        targets = [t for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
        check(f"demo:{port}" in targets, f"prometheus.yml targets demo:{port}", repr(targets))

    # Grafana: provisioning and dashboards mounted where the provider looks.
    graf = services["grafana"]
    gm = {split_volume(v)[1]: split_volume(v)[0] for v in graf.get("volumes", [])}
    prov = host_path(gm.get("/etc/grafana/provisioning", "") or "x")
    check(prov and os.path.isdir(os.path.join(prov, "datasources")) and
          os.path.isdir(os.path.join(prov, "dashboards")),
          "compose mounts deploy/grafana/provisioning at /etc/grafana/provisioning")
    providers = load_yaml_docs(os.path.join(DEPLOY, "grafana/provisioning/dashboards/vitals.yml"))[0]
    check(providers.get("apiVersion") == 1, "dashboard provider file apiVersion 1")
    for p in providers.get("providers", []):
        path = p.get("options", {}).get("path")
        src = gm.get(path)
        d = host_path(src) if src else None
        check(d and glob.glob(os.path.join(d, "*.json")),
              f"dashboards are mounted at the provider path {path}", repr(src))
    home = graf.get("environment", {}).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        dirs = {t: host_path(s) for t, s in gm.items() if s and s.startswith(".")}
        ok = any(home.startswith(t + "/") and os.path.isfile(os.path.join(d, home[len(t) + 1:]))
                 for t, d in dirs.items())
        check(ok, "Grafana home dashboard path exists", home)
    ds = load_yaml_docs(os.path.join(DEPLOY, "grafana/provisioning/datasources/prometheus.yml"))[0]
    check(ds.get("apiVersion") == 1, "datasource file apiVersion 1")
    sources = ds.get("datasources", [])
    if check(len(sources) == 1 and sources[0].get("type") == "prometheus", "one Prometheus data source"):
        check(sources[0].get("url") == "http://prometheus:9090",
              "data source URL is the compose prometheus service", sources[0].get("url"))
        ti = sources[0].get("jsonData", {}).get("timeInterval")
        si = cfg.get("global", {}).get("scrape_interval", "1m")
        check(ti == si, "data source timeInterval equals the scrape interval", f"{ti} vs {si}")

    with open(dockerfile, encoding="utf-8") as f:
        df = f.read()
    expose = re.findall(r"^EXPOSE\s+(.+)$", df, re.M)
    check(any(str(port) in e.split() for e in expose), f"Dockerfile EXPOSE {port}", repr(expose))
    ignore = dockerignore_rules(os.path.join(ctx, ".dockerignore"))
    for src in re.findall(r"^COPY\s+(?!--from)(\S+)\s", df, re.M):
        check(os.path.exists(os.path.join(ctx, src)), f"Dockerfile COPY source {src} exists")
        check(not docker_ignored(src.rstrip("/"), ignore),
              f"Dockerfile COPY source {src} is in the build context (.dockerignore)")
    # The build context holds what the image copies, not build trees.
    check(docker_ignored("build", ignore) and docker_ignored("build-ci/x.o", ignore),
          ".dockerignore leaves build trees out of the build context")
    cmd = re.findall(r"^CMD\s+(\[.*\])\s*$", df, re.M)
    if cmd:
        check(flag_value(json.loads(cmd[-1]), "--port") in (None, str(port)), f"Dockerfile CMD port is {port}")


def dockerignore_rules(path):
    """(pattern, excludes) pairs of a .dockerignore, in order; none when it is absent."""
    rules = []
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                negate = line.startswith("!")
                rules.append((line.lstrip("!").strip("/"), not negate))
    return rules


def docker_ignored(path, rules):
    """Whether the build context leaves `path` out: the last rule matching it or one of
    its parent directories decides (Docker's order; * within one path segment)."""
    parts = path.split("/")
    ignored = False
    for pattern, excludes in rules:
        depth = pattern.count("/") + 1
        if len(parts) >= depth and fnmatch.fnmatchcase("/".join(parts[:depth]), pattern):
            ignored = excludes
    return ignored


def check_dashboards():
    paths = sorted(glob.glob(os.path.join(DEPLOY, "grafana/dashboards/*.json")))
    check(len(paths) >= 4, "four or more dashboards", repr([os.path.basename(p) for p in paths]))
    uids = []
    for path in paths:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        uids.append(d.get("uid"))
        variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
        dsv = variables.get("datasource", {})
        check(dsv.get("type") == "datasource" and dsv.get("query") == "prometheus",
              f"{name}: Prometheus datasource variable")
        problems, ids, panels = [], set(), []

        def walk(ps):
            for p in ps or []:
                panels.append(p)
                walk(p.get("panels"))
        walk(d.get("panels"))
        for p in panels:
            title = p.get("title")
            if p.get("id") in ids:
                problems.append(f"duplicate panel id {p.get('id')}")
            ids.add(p.get("id"))
            if p.get("type") == "row":
                continue
            if (p.get("datasource") or {}).get("uid") != "${datasource}":
                problems.append(f"'{title}': panel datasource is not ${{datasource}}")
            if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                problems.append(f"'{title}': no unit")
            if not p.get("description"):
                problems.append(f"'{title}': no description")
            for t in p.get("targets", []):
                if (t.get("datasource") or {}).get("uid") != "${datasource}":
                    problems.append(f"'{title}' {t.get('refId')}: target datasource is not ${{datasource}}")
                if not t.get("legendFormat"):
                    problems.append(f"'{title}' {t.get('refId')}: no legend")
            gp = p.get("gridPos", {})
            if not (gp.get("w") and gp.get("h") and gp.get("x", 0) + gp.get("w", 0) <= 24):
                problems.append(f"'{title}': bad gridPos {gp}")
        check(not problems, f"{name}: {len(panels)} panels with datasource, unit, description, legends",
              "; ".join(problems))
    check(len(set(uids)) == len(uids) and all(uids), "dashboard uids are set and unique", repr(uids))


def main():
    defaults, source = server_defaults()
    print(f"server defaults from {source}: port {defaults['port']}, "
          f"{defaults['metrics']} {defaults['live']} {defaults['ready']} {defaults['health']}")
    for name, fn in (("kubernetes", lambda: check_kubernetes(defaults)),):
        try:
            dep = fn()
        except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
            check(False, f"{name} manifests parse", repr(e))
            dep = None
    for name, fn in (("kubernetes-pods.yml", lambda: dep and check_pod_scrape_config(dep, defaults)),
                     ("prometheus-operator monitors", lambda: dep and check_monitors(defaults, dep)),
                     ("prometheus-rbac.yaml", check_rbac),
                     ("compose", lambda: check_compose(defaults)),
                     ("dashboards", check_dashboards)):
        try:
            fn()
        except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError, AttributeError) as e:
            check(False, f"{name} parses and has the expected shape", repr(e))
    failed = [r for r in results if not r[0]]
    for ok, what, detail in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
    print(f"{len(results) - len(failed)}/{len(results)} deploy checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
