#!/usr/bin/python3
"""Helper of tests/e2e/prometheus_e2e.sh: proves every PromQL expression we ship.

Subcommands:
  make-config     write a Prometheus configuration derived from deploy/prometheus/prometheus.yml
                  that scrapes one loopback target every second and loads alerts.yml
  k8s-config      write deploy/prometheus/kubernetes-pods.yml with its Kubernetes service
                  discovery swapped for a static target, so promtool can check the rest
                  (Debian's Prometheus is built without Kubernetes discovery)
  extract         list every expression found (dashboards, alert rules, guide) and fail on any
                  that cannot be extracted; needs no Prometheus
  evaluate        wait for the target, then evaluate every expression through the HTTP API of
                  a running Prometheus and print a summary
  openmetrics     check a demo_service scrape in OpenMetrics (read from a file): parsed by
                  prometheus_client's OpenMetrics parser, # UNIT where names carry a unit,
                  NS_build as an info family, exemplars {trace_id="<32 lowercase hex>"} on
                  NS_http_requests_total and NS_http_request_duration_seconds buckets
  exemplars       ask a running Prometheus (started with --enable-feature=exemplar-storage)
                  for the exemplars it stored from the demo (/api/v1/query_exemplars): both
                  families must have some, each with a 32-hex-digit trace_id

Expressions are taken mechanically from:
  deploy/grafana/dashboards/*.json  targets[].expr of every panel (rows and nested panels
                                    included) and the metric selectors of query variables;
                                    the dashboard's template variables are substituted
  deploy/prometheus/alerts.yml      groups[].rules[].expr
  docs/observability.md             every ```promql fenced block (one expression per block)

Rules: every expression must evaluate without error; dashboard queries must return data; a
guide block must return data unless it starts with a comment "# expect: empty" (then it must
return nothing) or "# expect: any"; every metric name referenced must be one Prometheus has
scraped, and every series selector of the dashboards, the alert rules and the guide's
data-returning blocks must match scraped series (families that only appear on an event are
listed in LAZY_METRICS).
Needs PyYAML (Debian python3-yaml); everything else is the standard library.
"""

import argparse
import glob
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

# Metric families that exist in vitals but have no series until an event happens.
LAZY_METRICS = {
    "vitals_series_overflow_total": "created at a family's first overflow past its series bound",
}

# Values substituted for Grafana's built-in variables.
GRAFANA_BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "__range_s": "3600",
}


class Query:
    def __init__(self, source, name, expr, expect="data", raw=None):
        self.source = source  # "dashboard:http.json", "alerts.yml", "guide"
        self.name = name
        self.expr = expr
        self.expect = expect  # "data", "any", "empty"
        self.raw = raw if raw is not None else expr
        self.status = None
        self.detail = ""


class ExtractError(Exception):
    pass


# ---------------------------------------------------------------- extraction


def walk_panels(panels):
    for p in panels or []:
        yield p
        yield from walk_panels(p.get("panels"))


def dashboard_queries(path):
    """Returns (queries, variables, errors) of one dashboard JSON file."""
    errors = []
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    src = "dashboard:" + os.path.basename(path)
    queries = []
    for p in walk_panels(dash.get("panels")):
        if p.get("type") == "row":
            if p.get("targets"):
                errors.append(f"{src}: row '{p.get('title')}' has targets")
            continue
        targets = p.get("targets")
        if not targets:
            errors.append(f"{src}: panel '{p.get('title')}' has no targets")
            continue
        for t in targets:
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                errors.append(f"{src}: panel '{p.get('title')}' target {t.get('refId')} has no expr")
                continue
            queries.append(Query(src, f"{p.get('title')} [{t.get('refId')}]", expr))
    variables = dash.get("templating", {}).get("list", [])
    return queries, variables, errors


LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)


def variable_query(var):
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q if isinstance(q, str) else ""


def alert_queries(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    queries, errors = [], []
    for g in doc.get("groups", []):
        for rule in g.get("rules", []):
            name = rule.get("alert") or rule.get("record") or "?"
            expr = rule.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                errors.append(f"alerts.yml: rule {name} has no expr")
                continue
            queries.append(Query("alerts.yml", name, expr, expect="any"))
    if not queries:
        errors.append("alerts.yml: no rules found")
    return queries, errors


FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^\s`]*)\s*$")
PROMQL_HINT = re.compile(r"\b(rate|irate|increase|histogram_quantile|deriv|predict_linear)\s*\(|\bsum\s+by\b")


def guide_queries(path):
    """Every ```promql block of the guide is one query; PromQL in other blocks is an error."""
    queries, errors = [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    heading = "(top)"
    i = 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m and not m.group(1):
            fence, lang = m.group(2), m.group(3).lower()
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].strip().startswith(fence[:3]):
                j += 1
            if j >= len(lines):
                errors.append(f"guide line {i + 1}: unclosed fenced block")
                break
            body = "\n".join(lines[start:j])
            if lang == "promql":
                code = strip_comments(body).strip()
                if not code:
                    errors.append(f"guide line {i + 1}: empty promql block")
                else:
                    expect = "data"
                    em = re.search(r"#\s*expect:\s*(empty|any|data)\b", body)
                    if em:
                        expect = em.group(1)
                    queries.append(Query("guide", f"{heading} (line {i + 1})", body, expect=expect))
            elif lang not in ("yaml", "yml", "sh", "console", "json") and PROMQL_HINT.search(body):
                errors.append(f"guide line {i + 1}: PromQL in a '{lang or 'untagged'}' block "
                              "(put queries in ```promql blocks so they are tested)")
            i = j + 1
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        i += 1
    if not queries:
        errors.append("guide: no ```promql blocks found")
    return queries, errors


def strip_comments(expr):
    out, quote = [], None
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote:
            out.append(c)
            if c == "\\" and quote != "`" and i + 1 < len(expr):
                out.append(expr[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
            out.append(c)
        elif c == "#":
            while i < len(expr) and expr[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


KEYWORDS_WITH_LABELS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile"}
KEYWORDS = KEYWORDS_WITH_LABELS | AGGREGATIONS | {"bool", "and", "or", "unless", "offset", "inf", "nan",
                                                  "atan2"}


def metric_names(expr):
    """Metric names referenced by a PromQL expression."""
    return metric_refs(expr)[0]


def metric_refs(expr):
    """(metric names, vector selectors) of a PromQL expression: a small lexer, not a parser.
    A selector is `name`, `name{matchers}` or `{matchers}` as written."""
    s = strip_comments(expr)
    names, selectors, i, n = set(), [], 0, len(s)

    def skip_ws(k):
        while k < n and s[k].isspace():
            k += 1
        return k

    def skip_group(k, open_c, close_c):
        depth, quote = 0, None
        while k < n:
            c = s[k]
            if quote:
                if c == "\\":
                    k += 1
                elif c == quote:
                    quote = None
            elif c in "\"'`":
                quote = c
            elif c == open_c:
                depth += 1
            elif c == close_c:
                depth -= 1
                if depth == 0:
                    return k + 1
            k += 1
        return k

    while i < n:
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
        elif c == "{":
            k = skip_group(i, "{", "}")
            selectors.append(s[i:k])
            i = k
        elif c == "[":
            i = skip_group(i, "[", "]")
        elif c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            while i < n and (s[i].isalnum() or s[i] in "._"):
                i += 1
        elif c.isalpha() or c in "_:":
            j = i
            while j < n and (s[j].isalnum() or s[j] in "_:"):
                j += 1
            word = s[i:j]
            k = skip_ws(j)
            if word in KEYWORDS_WITH_LABELS:
                if k < n and s[k] == "(":
                    k = skip_group(k, "(", ")")
                i = k
                continue
            if word == "offset":
                i = k
                while i < n and (s[i].isalnum() or s[i] in "_-"):
                    i += 1
                continue
            if word not in KEYWORDS and not (k < n and s[k] == "("):
                names.add(word)
                if k < n and s[k] == "{":
                    j = skip_group(k, "{", "}")
                    selectors.append(word + s[k:j])
                else:
                    selectors.append(word)
            i = j
        else:
            i += 1
    return names, selectors


def _skip_string(s, i):
    quote = s[i]
    i += 1
    while i < len(s):
        if s[i] == "\\" and quote != "`":
            i += 2
            continue
        if s[i] == quote:
            return i + 1
        i += 1
    return i


def extract_all(root):
    queries, variables, errors = [], {}, []
    dashboards = sorted(glob.glob(os.path.join(root, "deploy/grafana/dashboards/*.json")))
    if not dashboards:
        errors.append("no dashboards found under deploy/grafana/dashboards")
    for path in dashboards:
        try:
            q, v, e = dashboard_queries(path)
        except (OSError, ValueError) as ex:
            errors.append(f"{path}: {ex}")
            continue
        queries += q
        variables["dashboard:" + os.path.basename(path)] = v
        errors += e
    for path, fn in (("deploy/prometheus/alerts.yml", alert_queries),
                     ("docs/observability.md", guide_queries)):
        full = os.path.join(root, path)
        try:
            q, e = fn(full)
        except (OSError, yaml.YAMLError) as ex:
            errors.append(f"{path}: {ex}")
            continue
        queries += q
        errors += e
    return queries, variables, errors


# ------------------------------------------------------------------- Prometheus API


class Prom:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, params=None):
        url = self.url + path
        data = urllib.parse.urlencode(params or {}, doseq=True).encode()
        req = urllib.request.Request(url, data=data if params is not None else None)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            try:
                return json.load(e)
            except ValueError:
                return {"status": "error", "error": f"HTTP {e.code}"}

    def query(self, expr):
        return self.get("/api/v1/query", {"query": expr, "time": f"{time.time():.3f}"})


def has_value(result):
    """True when an instant query result holds at least one non-NaN sample."""
    data = result.get("data", {})
    rtype, res = data.get("resultType"), data.get("result")
    if rtype == "scalar":
        return not math.isnan(float(res[1]))
    if rtype == "vector":
        return any(not math.isnan(float(s["value"][1])) for s in res)
    if rtype == "matrix":
        return any(res)
    return False


def result_size(result):
    data = result.get("data", {})
    res = data.get("result")
    if data.get("resultType") == "scalar":
        return 1
    return len(res or [])


# ------------------------------------------------------------------- substitution

VAR_REF = re.compile(r"\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]|\$([A-Za-z0-9_]+)")


def substitute(expr, values):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in values:
            return values[name]
        if name in GRAFANA_BUILTINS:
            return GRAFANA_BUILTINS[name]
        return m.group(0)

    return VAR_REF.sub(repl, expr)


def resolve_variables(prom, variables, log):
    """Grafana's way, once per dashboard: constants/textboxes take their value, query
    variables the current value if Prometheus knows it, else the first value, and "All"
    the variable's allValue. Returns (values, variable checks)."""
    values, checks = {}, []
    for var in variables:
        name, vtype = var.get("name"), var.get("type")
        cur = var.get("current") or {}
        cur_value = cur.get("value")
        if isinstance(cur_value, list):
            cur_value = cur_value[0] if cur_value else None
        if vtype == "datasource":
            continue
        if vtype in ("constant", "textbox", "custom", "interval"):
            v = cur_value if cur_value not in (None, "") else variable_query(var).split(",")[0]
            values[name] = str(v)
            continue
        if vtype == "query":
            q = substitute(variable_query(var), values)
            m = LABEL_VALUES.match(q)
            if not m:
                checks.append(Query("variable", name, q))
                checks[-1].status, checks[-1].detail = "FAIL", "not a label_values(selector, label) query"
                continue
            selector, label = m.group(1), m.group(2)
            check = Query("variable", f"${name} = label_values(..., {label})", selector)
            checks.append(check)
            r = prom.get("/api/v1/series", {"match[]": selector, "start": f"{time.time() - 600:.0f}",
                                            "end": f"{time.time():.0f}"})
            found = sorted({s.get(label) for s in r.get("data", []) if s.get(label)}) \
                if r.get("status") == "success" else []
            if r.get("status") != "success":
                check.status, check.detail = "FAIL", r.get("error", "query failed")
            elif not found:
                check.status, check.detail = "FAIL", "no values"
            else:
                check.status, check.detail = "data", f"{len(found)} value(s): {', '.join(found[:4])}"
            if cur_value == "$__all" and var.get("includeAll"):
                values[name] = var.get("allValue") or "|".join(re.escape(v) for v in found)
            elif cur_value in found:
                values[name] = cur_value
            elif found:
                values[name] = found[0]
            else:
                values[name] = str(cur_value or "")
            continue
        log(f"  note: variable ${name} of type {vtype} taken from its current value")
        values[name] = str(cur_value or "")
    return values, checks


# ------------------------------------------------------------------- subcommands


def cmd_make_config(args):
    with open(os.path.join(args.root, "deploy/prometheus/prometheus.yml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg.setdefault("global", {})
    cfg["global"].update({"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"})
    cfg["rule_files"] = [os.path.join(args.root, "deploy/prometheus", p) for p in cfg.get("rule_files", [])]
    jobs = [j for j in cfg.get("scrape_configs", []) if j.get("job_name") == args.job]
    if len(jobs) != 1:
        sys.exit(f"prometheus.yml must have exactly one scrape job named {args.job}")
    job = jobs[0]
    statics = job.get("static_configs") or [{}]
    statics[0]["targets"] = [args.target]
    job["static_configs"] = statics[:1]
    cfg["scrape_configs"] = [job]
    yaml.safe_dump(cfg, sys.stdout, sort_keys=False)


def cmd_k8s_config(args):
    path = os.path.join(args.root, "deploy/prometheus/kubernetes-pods.yml")
    with open(path, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    n = 0
    for job in cfg.get("scrape_configs", []):
        if "kubernetes_sd_configs" in job:
            del job["kubernetes_sd_configs"]
            job["static_configs"] = [{"targets": ["127.0.0.1:9090"]}]
            n += 1
        # The token file is mounted from a Secret in the cluster; promtool requires it to
        # exist, so the check uses an inline token of the same shape.
        auth = job.get("authorization") or {}
        if "credentials_file" in auth:
            del auth["credentials_file"]
            auth["credentials"] = "token-for-promtool-check"
    if not n:
        sys.exit("kubernetes-pods.yml has no kubernetes_sd_configs job")
    cfg["rule_files"] = [os.path.join(args.root, "deploy/prometheus", p) for p in cfg.get("rule_files", [])]
    yaml.safe_dump(cfg, sys.stdout, sort_keys=False)


def cmd_extract(args):
    queries, variables, errors = extract_all(args.root)
    by_source = {}
    for q in queries:
        by_source.setdefault(q.source, 0)
        by_source[q.source] += 1
    for src, count in sorted(by_source.items()):
        print(f"{src}: {count} expression(s)")
    for q in queries:
        if args.verbose:
            print(f"--- {q.source} | {q.name} | expect {q.expect}\n{q.expr}")
    for e in errors:
        print("EXTRACT FAIL:", e)
    return 1 if errors else 0


def wait_for_target(prom, job, scrapes, timeout, log):
    deadline = time.time() + timeout
    last = "no answer"
    while time.time() < deadline:
        r = prom.query(f'count_over_time(up{{job="{job}"}}[1m]) and up{{job="{job}"}} == 1')
        if r.get("status") == "success" and r["data"]["result"]:
            n = float(r["data"]["result"][0]["value"][1])
            last = f"up=1 after {n:.0f} scrape(s)"
            if n >= scrapes:
                log(f"target up, {n:.0f} scrapes recorded")
                return True
        else:
            t = prom.get("/api/v1/targets")
            active = t.get("data", {}).get("activeTargets", []) if t.get("status") == "success" else []
            if active:
                last = f"target health {active[0].get('health')}: {active[0].get('lastError') or '-'}"
        time.sleep(0.5)
    log(f"target not ready in {timeout}s ({last})")
    return False


def wait_for_rules(prom, expected, timeout, log):
    """All rules loaded and evaluated at least once with health ok."""
    deadline = time.time() + timeout
    problems = ["no answer"]
    while time.time() < deadline:
        r = prom.get("/api/v1/rules")
        rules = [rule for g in r.get("data", {}).get("groups", []) for rule in g.get("rules", [])] \
            if r.get("status") == "success" else []
        problems = []
        if len(rules) != expected:
            problems.append(f"{len(rules)} rules loaded, {expected} expected")
        for rule in rules:
            if rule.get("health") != "ok":
                problems.append(f"{rule.get('name')}: health {rule.get('health')} {rule.get('lastError', '')}")
        if not problems:
            return [], rules
        time.sleep(0.5)
    return problems, []


def cmd_evaluate(args):
    t0 = time.time()
    log = lambda m: print(m, flush=True)  # noqa: E731
    prom = Prom(args.prometheus)
    queries, variables, errors = extract_all(args.root)
    failures = [f"extract: {e}" for e in errors]

    if not wait_for_target(prom, args.job, args.scrapes, args.timeout, log):
        failures.append("target never came up")
        for f in failures:
            log("FAIL " + f)
        return 1

    n_rules = sum(1 for q in queries if q.source == "alerts.yml")
    problems, rules = wait_for_rules(prom, n_rules, 20, log)
    for p in problems:
        failures.append(f"rules: {p}")
    firing = [rl["name"] for rl in rules if rl.get("state") == "firing"]

    names_r = prom.get("/api/v1/label/__name__/values")
    known = set(names_r.get("data", [])) if names_r.get("status") == "success" else set()

    # Substitute dashboard variables, one consistent set of values per dashboard.
    var_checks = []
    for src, variables_ in variables.items():
        values, checks = resolve_variables(prom, variables_, log)
        for c in checks:
            c.source = src
        var_checks += checks
        log(f"{src}: variables " + ", ".join(f"${k}={v}" for k, v in values.items()))
        for q in queries:
            if q.source == src:
                q.expr = substitute(q.raw, values)

    selector_cache = {}
    for q in queries:
        left = VAR_REF.search(strip_comments(q.expr))
        if left:
            q.status, q.detail = "FAIL", f"unsubstituted variable {left.group(0)}"
            continue
        r = prom.query(q.expr)
        if r.get("status") != "success":
            q.status, q.detail = "FAIL", r.get("error", "query failed")
            continue
        data, size = has_value(r), result_size(r)
        names, selectors = metric_refs(q.expr)
        missing = sorted(m for m in names if m not in known and m not in LAZY_METRICS)
        lazy = sorted(m for m in names if m not in known and m in LAZY_METRICS)
        # Every selector must match scraped series (a typo in a label value would otherwise
        # make a rule silently never fire), except in guide blocks documented as possibly
        # empty and for families that appear only on an event.
        empty_selectors = []
        if q.source != "guide" or q.expect == "data":
            for sel in selectors:
                if any(sel == m or sel.startswith(m + "{") for m in LAZY_METRICS):
                    continue
                if sel not in selector_cache:
                    sr = prom.query(f"count({sel})")
                    selector_cache[sel] = sr.get("status") == "success" and bool(sr["data"]["result"])
                if not selector_cache[sel]:
                    empty_selectors.append(sel)
        note = f"{size} series" if data else ("empty" if size == 0 else f"{size} series, all NaN")
        if lazy:
            note += "; not yet created: " + ", ".join(f"{m} ({LAZY_METRICS[m]})" for m in lazy)
        if missing:
            q.status, q.detail = "FAIL", "unknown metric(s): " + ", ".join(missing)
        elif empty_selectors:
            q.status, q.detail = "FAIL", "selector(s) matching no series: " + ", ".join(empty_selectors)
        elif q.expect == "empty":
            q.status = "FAIL" if size else "empty"
            q.detail = "expected no result, got " + note if size else "empty, as documented"
        elif q.source.startswith("dashboard") or q.expect == "data":
            q.status = "data" if data else "FAIL"
            q.detail = note if data else "no data: " + note
        else:
            q.status, q.detail = ("data" if data else "empty"), note

    everything = var_checks + queries
    width = max(len(q.source) for q in everything)
    log("")
    log(f"{'source':<{width}}  {'result':<6}  query")
    for q in everything:
        log(f"{q.source:<{width}}  {q.status:<6}  {q.name}: {q.detail}")
        if q.status == "FAIL":
            failures.append(f"{q.source} | {q.name}: {q.detail}\n    {' '.join(q.expr.split())}")

    log("")
    counts = {}
    for q in queries:
        key = q.source if not q.source.startswith("dashboard") else "dashboards"
        c = counts.setdefault(key, {"total": 0, "data": 0, "empty": 0, "FAIL": 0})
        c["total"] += 1
        c[q.status] += 1
    for key, c in sorted(counts.items()):
        log(f"{key}: {c['total']} queries, {c['data']} with data, {c['empty']} empty, {c['FAIL']} failed")
    log(f"dashboard variables: {len(var_checks)} checked, "
        f"{sum(1 for c in var_checks if c.status == 'FAIL')} failed")
    log(f"alert rules loaded by Prometheus: {len(rules)} with health ok"
        + (f"; firing now: {', '.join(firing)}" if firing else "; none firing"))
    log(f"series selectors checked: {len(selector_cache)} distinct, "
        f"{sum(1 for v in selector_cache.values() if not v)} matching nothing")
    log(f"total: {len(queries)} expressions evaluated in {time.time() - t0:.1f}s")
    if failures:
        log("")
        for f in failures:
            log("FAIL " + f)
        return 1
    return 0


TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def cmd_openmetrics(args):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    with open(args.file, encoding="utf-8") as f:
        text = f.read()
    ns = args.namespace
    problems = []
    if not text.endswith("# EOF\n"):
        problems.append("the exposition does not end with '# EOF'")
    try:
        families = {fam.name: fam for fam in text_string_to_metric_families(text)}
    except Exception as exc:  # the parser raises ValueError and friends on bad input
        print(f"FAIL: prometheus_client's OpenMetrics parser rejects the scrape: {exc!r}")
        return 1
    units = {f"{ns}_http_request_duration_seconds": "seconds",
             f"{ns}_http_request_size_bytes": "bytes",
             f"{ns}_http_response_size_bytes": "bytes"}
    for name, unit in units.items():
        fam = families.get(name)
        if fam is None or fam.unit != unit:
            problems.append(f"{name}: unit {getattr(fam, 'unit', None)!r}, expected {unit!r}")
    build = families.get(f"{ns}_build")
    if build is None or build.type != "info" or not build.samples or \
            build.samples[0].name != f"{ns}_build_info":
        problems.append(f"{ns}_build is not an info family with a {ns}_build_info sample")
    counts = {}
    for fam_name, sample_name in ((f"{ns}_http_requests", f"{ns}_http_requests_total"),
                                  (f"{ns}_http_request_duration_seconds",
                                   f"{ns}_http_request_duration_seconds_bucket")):
        fam = families.get(fam_name)
        with_exemplar = [s for s in (fam.samples if fam else []) if s.name == sample_name
                         and s.exemplar is not None]
        for s in with_exemplar:
            if set(s.exemplar.labels) != {"trace_id"} or \
                    not TRACE_ID.match(s.exemplar.labels["trace_id"]):
                problems.append(f"{sample_name}: bad exemplar {s.exemplar!r}")
        counts[sample_name] = len(with_exemplar)
        if not with_exemplar:
            problems.append(f"{sample_name}: no exemplar")
    if problems:
        print("FAIL: OpenMetrics scrape of the demo:")
        for p in problems:
            print("  " + p)
        return 1
    print(f"ok: OpenMetrics scrape: {len(families)} families, units declared, {ns}_build is "
          f"an info family, exemplars with trace ids on "
          + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def cmd_exemplars(args):
    prom = Prom(args.prometheus)
    ns = args.namespace
    deadline = time.time() + args.timeout
    wanted = (f"{ns}_http_requests_total", f"{ns}_http_request_duration_seconds_bucket")
    found = {}
    while True:
        for name in wanted:
            r = prom.get("/api/v1/query_exemplars",
                         {"query": name, "start": f"{time.time() - 600:.3f}",
                          "end": f"{time.time():.3f}"})
            ids = []
            for series in r.get("data") or []:
                for ex in series.get("exemplars", []):
                    ids.append(ex.get("labels", {}).get("trace_id", ""))
            found[name] = ids
        if all(found[n] for n in wanted) or time.time() > deadline:
            break
        time.sleep(1)
    problems = []
    for name in wanted:
        ids = found[name]
        if not ids:
            problems.append(f"{name}: Prometheus stored no exemplar")
        bad = [i for i in ids if not TRACE_ID.match(i)]
        if bad:
            problems.append(f"{name}: trace ids that are not 32 lowercase hex digits: {bad[:3]}")
    if problems:
        print("FAIL: exemplars in Prometheus:")
        for p in problems:
            print("  " + p)
        return 1
    print("ok: Prometheus stored the demo's exemplars: " +
          ", ".join(f"{n} {len(found[n])} (e.g. trace_id={found[n][0]})" for n in wanted))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.normpath(os.path.join(os.path.dirname(__file__), "../..")))
    sub = ap.add_subparsers(dest="cmd", required=True)
    mc = sub.add_parser("make-config")
    mc.add_argument("--target", required=True)
    mc.add_argument("--job", default="vitals")
    sub.add_parser("k8s-config")
    ex = sub.add_parser("extract")
    ex.add_argument("-v", "--verbose", action="store_true")
    ev = sub.add_parser("evaluate")
    ev.add_argument("--prometheus", required=True)
    ev.add_argument("--job", default="vitals")
    ev.add_argument("--scrapes", type=int, default=6, help="scrapes to wait for before evaluating")
    ev.add_argument("--timeout", type=float, default=40)
    om = sub.add_parser("openmetrics")
    om.add_argument("file")
    om.add_argument("--namespace", default="demo")
    xe = sub.add_parser("exemplars")
    xe.add_argument("--prometheus", required=True)
    xe.add_argument("--namespace", default="demo")
    xe.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    return {"make-config": cmd_make_config, "k8s-config": cmd_k8s_config, "extract": cmd_extract,
            "evaluate": cmd_evaluate, "openmetrics": cmd_openmetrics,
            "exemplars": cmd_exemplars}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
