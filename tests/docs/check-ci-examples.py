#!/usr/bin/env python3
"""Checks the CI examples of docs/ci/ against the real trustlab.

Every docs/ci/*.yml must parse as YAML. The two scenario workflows
(trustlab-scenarios.github.yml, trustlab-scenarios.gitlab-ci.yml) are then
*run*, job by job and shard by shard, the way GitHub Actions and GitLab CI
would run them, in a scratch workspace:

- `apt-get` and `meson` are stand-ins that do nothing (the build is ours);
  build/runner/trustlab in the workspace is a shim that runs the real
  binary and logs each command line with its exit status;
- GitHub: `run:` steps in order with the step's shell, GITHUB_PATH and
  GITHUB_STEP_SUMMARY honoured, `${{ matrix.* }}`/`${{ strategy.job-total }}`
  expanded in `env:`, no expression allowed inside a script;
- GitLab: before_script + script as one `set -e` script per `parallel:` job,
  with CI_NODE_INDEX/CI_NODE_TOTAL set.

Twice: against the shipped scenarios/ (every job passes, every trustlab
command exits 0, the shards' JUnit test cases add up to an unsharded run's,
the summary is the Markdown report) and against a scenario with a wrong
expectation (the failing shard's job fails, its JUnit report still holds
the <failure>, and the reports are kept: `if: always()`/`when: always`).

Usage: check-ci-examples.py SOURCE_ROOT TRUSTLAB_PATH. Output: TAP.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

try:
    import yaml
except ImportError:
    print("1..0 # SKIP python3-yaml is not installed (scripts/install-deps)")
    sys.exit(77)

ROOT = os.path.abspath(sys.argv[1])
TRUSTLAB = os.path.abspath(sys.argv[2])
GITHUB = "docs/ci/trustlab-scenarios.github.yml"
GITLAB = "docs/ci/trustlab-scenarios.gitlab-ci.yml"

results = []


def check(ok, what, detail=""):
    results.append((bool(ok), what, detail))
    return ok


def workspace(scenarios):
    """A checkout: scenarios/ and a build/runner/trustlab shim."""
    ws = tempfile.mkdtemp(prefix="trustlab-ci-")
    os.symlink(scenarios, os.path.join(ws, "scenarios"))
    runner = os.path.join(ws, "build", "runner")
    os.makedirs(runner)
    log = os.path.join(ws, "trustlab-calls.log")
    with open(os.path.join(runner, "trustlab"), "w") as f:
        f.write('#!/bin/sh\n"%s" "$@"\nrc=$?\nprintf \'%%s\\t%%s\\n\' "$rc" "$*" >> "%s"\n'
                'exit $rc\n' % (TRUSTLAB, log))
    os.chmod(os.path.join(runner, "trustlab"), 0o755)
    fake = os.path.join(ws, ".fake-bin")
    os.makedirs(fake)
    for tool in ("apt-get", "meson"):
        with open(os.path.join(fake, tool), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(os.path.join(fake, tool), 0o755)
    return ws, fake, log


def calls(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [line.rstrip("\n").split("\t", 1) for line in f]


def base_env(fake):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITHUB_"))}
    # Not the real trustlab: only the workflow's own PATH setup finds it.
    env["PATH"] = fake + ":/usr/bin:/bin"
    return env


def github_expr(text, matrix, total):
    def sub(m):
        expr = m.group(1).strip()
        if expr.startswith("matrix."):
            return str(matrix[expr[len("matrix."):]])
        if expr == "strategy.job-total":
            return str(total)
        raise ValueError("unsupported expression ${{ %s }}" % expr)
    return re.sub(r"\$\{\{(.*?)\}\}", sub, str(text))


def run_github_job(doc, job_name, scenarios):
    """Runs every shard of the job; returns [(ok, ws, calls, summary)]."""
    job = doc["jobs"][job_name]
    matrix = job.get("strategy", {}).get("matrix", {})
    shards = matrix.get("shard", [1])
    out = []
    for shard in shards:
        ws, fake, log = workspace(scenarios)
        env = base_env(fake)
        for k, v in job.get("env", {}).items():
            env[k] = github_expr(v, {"shard": shard}, len(shards))
        path_file = os.path.join(ws, ".github_path")
        summary = os.path.join(ws, ".step_summary")
        open(path_file, "w").close()
        env["GITHUB_PATH"] = path_file
        env["GITHUB_STEP_SUMMARY"] = summary
        env["GITHUB_WORKSPACE"] = ws
        failed = False
        for step in job["steps"]:
            if "run" not in step:
                continue
            cond = step.get("if", "success()")
            if failed and "always()" not in cond and "failure()" not in cond:
                continue
            script = step["run"]
            if "${{" in script:
                raise ValueError("step %r: an expression inside a script (use env:)"
                                 % step.get("name"))
            extra = []
            with open(path_file) as f:
                extra = [p.strip() for p in f if p.strip()]
            step_env = dict(env)
            step_env["PATH"] = ":".join(list(reversed(extra)) + [env["PATH"]])
            # GitHub's defaults: `bash -e {0}`, or `sh -e {0}` in a container;
            # `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
            shell = step.get("shell")
            if shell == "bash":
                argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
            elif shell is None and "container" not in job:
                argv = ["bash", "-e", "-c", script]
            elif shell in (None, "sh"):
                argv = ["sh", "-e", "-c", script]
            else:
                raise ValueError("step %r: shell %r is not emulated" % (step.get("name"), shell))
            r = subprocess.run(argv, cwd=ws, env=step_env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=300)
            if r.returncode != 0:
                failed = True
        text = open(summary).read() if os.path.exists(summary) else ""
        out.append((not failed, ws, calls(log), text, shard))
    return out


def run_gitlab_job(doc, job_name, scenarios):
    job = doc[job_name]
    total = int(job.get("parallel", 1))
    out = []
    for index in range(1, total + 1):
        ws, fake, log = workspace(scenarios)
        env = base_env(fake)
        env["CI_NODE_INDEX"] = str(index)
        env["CI_NODE_TOTAL"] = str(total)
        lines = list(job.get("before_script", [])) + list(job["script"])
        script = "set -e\n" + "\n".join(str(line) for line in lines)
        r = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=ws, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=300)
        out.append((r.returncode == 0, ws, calls(log), r.stdout, index))
    return out


def junit_cases(path):
    root = ET.parse(path).getroot()
    cases = root.iter("testcase")
    n = failures = 0
    for c in cases:
        n += 1
        failures += c.find("failure") is not None
    return n, failures


def unsharded_cases(scenarios):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "all.xml")
        subprocess.run([TRUSTLAB, "run", scenarios, "--format", "junit", "--output", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        return junit_cases(out)[0]


def failing_scenarios():
    d = tempfile.mkdtemp(prefix="trustlab-ci-failing-")
    shutil.copy(os.path.join(ROOT, "tests/data/run/failing.yaml"), d)
    shutil.copytree(os.path.join(ROOT, "tests/data/run/policies"), os.path.join(d, "policies"))
    return d


def main():
    os.chdir(ROOT)
    docs = {}
    for path in sorted(glob.glob("docs/ci/*.yml") + glob.glob("docs/ci/*.yaml")):
        try:
            with open(path) as f:
                docs[path] = yaml.safe_load(f)
            check(isinstance(docs[path], dict), "%s parses as a YAML mapping" % path)
        except yaml.YAMLError as e:
            check(False, "%s parses as YAML" % path, str(e))
    for need in (GITHUB, GITLAB):
        check(need in docs, "%s exists" % need)
    if GITHUB not in docs or GITLAB not in docs:
        return

    gh, gl = docs[GITHUB], docs[GITLAB]
    gh_job = gh["jobs"]["scenarios"]
    keep = [s for s in gh_job["steps"] if "upload-artifact" in str(s.get("uses", ""))]
    check(keep and "always()" in str(keep[0].get("if", "")),
          "github: the reports are uploaded also when the run fails (if: always())")
    gl_job = gl["trustlab-scenarios"]
    check(gl_job.get("artifacts", {}).get("when") == "always",
          "gitlab: artifacts when: always")
    gl_junit = gl_job.get("artifacts", {}).get("reports", {}).get("junit")
    check(gl_junit, "gitlab: artifacts:reports:junit is set")

    shipped = os.path.join(ROOT, "scenarios")
    expected_cases = unsharded_cases(shipped)
    failing = failing_scenarios()
    try:
        for kind, scenarios in (("shipped", shipped), ("failing", failing)):
            gh_runs = run_github_job(gh, "scenarios", scenarios)
            gl_runs = run_gitlab_job(gl, "trustlab-scenarios", scenarios)
            for ci, runs in (("github", gh_runs), ("gitlab", gl_runs)):
                total_cases = total_failures = 0
                job_failed = 0
                for ok, ws, cl, text, shard in runs:
                    label = "%s %s shard %s" % (ci, kind, shard)
                    check(cl, "%s: the workflow ran trustlab" % label)
                    for rc, argv in cl:
                        check(rc in ("0", "1"), "%s: trustlab accepts `trustlab %s`" % (label, argv),
                              "exit %s" % rc)
                        if kind == "shipped":
                            check(rc == "0", "%s: `trustlab %s` exits 0" % (label, argv),
                                  "exit %s" % rc)
                    if ci == "gitlab":
                        files = glob.glob(os.path.join(ws, gl_junit))
                    else:
                        files = glob.glob(os.path.join(ws, "reports", "*.xml"))
                    if check(len(files) == 1, "%s: one JUnit report" % label, repr(files)):
                        n, f = junit_cases(files[0])
                        total_cases += n
                        total_failures += f
                        if f:
                            check(not ok, "%s: the job fails with the failure" % label)
                    if ci == "github":
                        check(text.startswith("## trustlab:"),
                              "%s: the step summary is the Markdown report" % label,
                              text[:80])
                    else:
                        md = glob.glob(os.path.join(ws, "reports", "*.md"))
                        check(len(md) == 1, "%s: the Markdown report is kept" % label)
                    job_failed += not ok
                    shutil.rmtree(ws, ignore_errors=True)
                if kind == "shipped":
                    check(job_failed == 0, "%s shipped: every job passes" % ci)
                    check(total_cases == expected_cases,
                          "%s shipped: the shards cover every case once" % ci,
                          "%d test cases in the shards, %d unsharded"
                          % (total_cases, expected_cases))
                else:
                    check(job_failed == 1 and total_failures == 1,
                          "%s failing: exactly the shard with the wrong expectation fails" % ci,
                          "%d jobs failed, %d failures" % (job_failed, total_failures))
    finally:
        shutil.rmtree(failing, ignore_errors=True)


try:
    main()
except Exception as e:  # a broken example is a failure, not a crash
    check(False, "the CI examples run", "%s: %s" % (type(e).__name__, e))

print("1..%d" % len(results))
for i, (ok, what, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
