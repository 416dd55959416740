/* SPDX-License-Identifier: MIT */
/*
 * credential_chain cases (docs/credential-chain.md): for each case and SDK,
 * build the job's environment in a temporary directory (token file, shared
 * config and credentials files, environment variables pointing at the
 * embedded mock-sts, its ECS endpoint and its instance metadata listener),
 * run a real SDK's default chain in a child process with only that
 * environment, and compare the identity GetCallerIdentity returns.
 *
 * The SDKs: the AWS SDK for JavaScript v3 (node, @aws-sdk/credential-providers
 * fromNodeProviderChain + @aws-sdk/client-sts, found through
 * TRUSTLAB_NODE_MODULES or NODE_PATH) and boto3 (TRUSTLAB_PYTHON, else
 * /usr/bin/python3, else python3 on PATH). An SDK that is not installed is
 * a failed result saying so, never a pass.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"

#include "claims/claims.h"
#include "exchange/exchange.h"
#include "http/client.h"
#include "report/report.h"
#include "runner.h"
#include "scenario/chain.h"
#include "scenario/scenario.h"
#include "stsd/stsd.h"

#define CHILD_TIMEOUT_MS 60000
#define ENV_MAX 48

/* The JavaScript driver: CommonJS, so NODE_PATH finds the SDK. */
static const char node_driver[] =
	"const { fromNodeProviderChain } = require('@aws-sdk/credential-providers');\n"
	"const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');\n"
	"(async () => {\n"
	"  const out = { sdk: 'node' };\n"
	"  try { out.version = require('@aws-sdk/credential-provider-node/package.json')"
	".version; } catch (e) { out.version = '?'; }\n"
	"  const profile = process.env.TRUSTLAB_SDK_PROFILE || undefined;\n"
	"  try {\n"
	"    // the default chain, as an application builds it; a profile\n"
	"    // hard-coded in its configuration goes in `profile`.\n"
	"    const credentials = fromNodeProviderChain(profile ? { profile } : {});\n"
	"    const sts = new STSClient({ region: process.env.AWS_REGION, credentials,\n"
	"                                maxAttempts: 1 });\n"
	"    const r = await sts.send(new GetCallerIdentityCommand({}));\n"
	"    out.outcome = 'identity'; out.arn = r.Arn;\n"
	"  } catch (e) {\n"
	"    out.outcome = e.name === 'CredentialsProviderError' || e.name === 'ProviderError'\n"
	"      ? 'no-credentials' : 'error';\n"
	"    out.error = e.name; out.message = String(e.message).split('\\n')[0];\n"
	"  }\n"
	"  process.stdout.write(JSON.stringify(out) + '\\n');\n"
	"})();\n";

/* The boto3 driver. botocore before 1.31 ignores AWS_ENDPOINT_URL_STS:
 * only then are the STS clients botocore makes (GetCallerIdentity's and
 * the web identity provider's) sent to the mock; the chain is botocore's. */
static const char boto3_driver[] =
	"import json, os\n"
	"out = {'sdk': 'boto3'}\n"
	"try:\n"
	"    import boto3, botocore, botocore.session\n"
	"    out['version'] = botocore.__version__\n"
	"    v = tuple(int(x) for x in botocore.__version__.split('.')[:2])\n"
	"    if v < (1, 31):\n"
	"        out['endpoint'] = 'shim'\n"
	"        orig = botocore.session.Session.create_client\n"
	"        def create_client(self, service_name, *a, **kw):\n"
	"            if service_name == 'sts' and not kw.get('endpoint_url'):\n"
	"                kw['endpoint_url'] = os.environ['AWS_ENDPOINT_URL_STS']\n"
	"            return orig(self, service_name, *a, **kw)\n"
	"        botocore.session.Session.create_client = create_client\n"
	"    profile = os.environ.get('TRUSTLAB_SDK_PROFILE') or None\n"
	"    s = boto3.Session(profile_name=profile)\n"
	"    r = s.client('sts').get_caller_identity()\n"
	"    out.update(outcome='identity', arn=r['Arn'])\n"
	"except Exception as e:\n"
	"    import botocore.exceptions as be\n"
	"    none = isinstance(e, (be.NoCredentialsError, be.ProfileNotFound,\n"
	"                          be.CredentialRetrievalError))\n"
	"    msg = str(e).splitlines()\n"
	"    out.update(outcome='no-credentials' if none else 'error', error=type(e).__name__,\n"
	"               message=msg[0] if msg else '')\n"
	"print(json.dumps(out))\n";

/* Whether an SDK can run here, found once per process. */
struct sdk_probe {
	bool probed, ok;
	char why[1536];
	char program[1024]; /* node or python */
	char modules[1024]; /* node: the node_modules directory */
};

static struct sdk_probe node_probe, boto3_probe;

static bool
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	char dir[1024];

	while (path && *path) {
		size_t n = strcspn(path, ":");
		int len;
		snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
		len = snprintf(out, size, "%s/%s", n ? dir : ".", name);
		if (len > 0 && (size_t)len < size && access(out, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* Runs argv with envp; stdout into `out`, stderr into `errbuf`. Returns the
 * exit status, or -1 (not started, killed after the timeout). */
static int
run_child(char *const argv[], char *const envp[], const char *cwd, struct tl_buf *out,
	  struct tl_buf *errbuf)
{
	int po[2], pe[2], status = -1;
	pid_t pid;
	struct pollfd fds[2];
	struct timespec start, now;

	if (pipe2(po, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	fds[0] = (struct pollfd){.fd = po[0], .events = POLLIN};
	fds[1] = (struct pollfd){.fd = pe[0], .events = POLLIN};
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		char buf[4096];
		long elapsed;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 +
			  (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed > CHILD_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
		r = poll(fds, 2, 1000);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t n;
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
			} else {
				tl_buf_append(i ? errbuf : out, buf, (size_t)n, NULL);
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
probe_node(void)
{
	struct sdk_probe *p = &node_probe;
	const char *mods = getenv("TRUSTLAB_NODE_MODULES");
	char path[1200];

	p->probed = true;
	if (!find_in_path("node", p->program, sizeof(p->program))) {
		snprintf(p->why, sizeof(p->why), "node is not installed (not on PATH)");
		return;
	}
	if (!mods || !*mods)
		mods = getenv("NODE_PATH");
	/* scripts/install-deps runs npm ci there, so the README's first
	 * command finds the SDK without an environment variable. */
	if ((!mods || !*mods) && is_dir(TL_SOURCE_ROOT "/tests/clients-sts/node_modules"))
		mods = TL_SOURCE_ROOT "/tests/clients-sts/node_modules";
	if (!mods || !*mods) {
		snprintf(p->why, sizeof(p->why),
			 "no JavaScript SDK: run scripts/install-deps (npm ci in "
			 "tests/clients-sts) or set TRUSTLAB_NODE_MODULES to a node_modules "
			 "directory holding @aws-sdk/credential-providers and @aws-sdk/client-sts");
		return;
	}
	snprintf(p->modules, sizeof(p->modules), "%.*s", (int)strcspn(mods, ":"), mods);
	snprintf(path, sizeof(path), "%s/@aws-sdk/credential-providers", p->modules);
	if (!is_dir(path)) {
		snprintf(p->why, sizeof(p->why),
			 "%s has no @aws-sdk/credential-providers (npm ci in tests/clients-sts)",
			 p->modules);
		return;
	}
	snprintf(path, sizeof(path), "%s/@aws-sdk/client-sts", p->modules);
	if (!is_dir(path)) {
		snprintf(p->why, sizeof(p->why), "%s has no @aws-sdk/client-sts", p->modules);
		return;
	}
	p->ok = true;
}

static void
probe_boto3(void)
{
	struct sdk_probe *p = &boto3_probe;
	const char *py = getenv("TRUSTLAB_PYTHON");
	char *argv[] = {p->program, (char *)"-c", (char *)"import boto3, botocore", NULL};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	struct tl_buf o, e;

	p->probed = true;
	if (py && *py)
		snprintf(p->program, sizeof(p->program), "%s", py);
	else if (access("/usr/bin/python3", X_OK) == 0)
		snprintf(p->program, sizeof(p->program), "/usr/bin/python3");
	else if (!find_in_path("python3", p->program, sizeof(p->program))) {
		snprintf(p->why, sizeof(p->why), "python3 is not installed");
		return;
	}
	tl_buf_init(&o, 64 * 1024);
	tl_buf_init(&e, 64 * 1024);
	if (run_child(argv, envp, NULL, &o, &e) != 0)
		snprintf(p->why, sizeof(p->why),
			 "%.1400s cannot import boto3 (apt-get install python3-boto3)", p->program);
	else
		p->ok = true;
	tl_buf_finish(&o);
	tl_buf_finish(&e);
}

/* Deterministic long-term keys for a static user of the scenario. */
static void
user_keys(const char *user, char akid[21], char secret[41])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint64_t h = 1469598103934665603u;

	for (const char *p = user; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	memcpy(akid, "AKIA", 4);
	for (int i = 0; i < 16; i++, h = h * 6364136223846793005u + 1442695040888963407u)
		akid[4 + i] = b32[(h >> 59) & 31];
	akid[20] = '\0';
	snprintf(secret, 41, "trustlab/static/%.24s", user);
}

struct chain_run {
	const struct tl_scenario *s;
	const struct tl_embedded *e;
	struct tl_exchange *ex;
	char role_arn[64][512];
	char providers[16][512]; /* iss registered */
	char provider_arns[16][512];
	size_t n_providers;
	char account[16];
};

static const char *
role_arn(const struct chain_run *r, const char *name)
{
	for (size_t i = 0; i < tl_scenario_role_count(r->s) && i < 64; i++)
		if (strcmp(tl_scenario_role(r->s, i)->name, name) == 0)
			return r->role_arn[i];
	return "";
}

static int
add_static_user(struct chain_run *r, const char *user, struct tl_error *err)
{
	char akid[21], secret[41];
	user_keys(user, akid, secret);
	return tl_stsd_add_user(r->e->sts, user, akid, secret, err);
}

/* Expands {{access_key_id:U}}, {{secret_access_key:U}}, {{role_arn:R}},
 * {{web_identity_token_file}} in a shared config or credentials file. */
static int
expand(struct chain_run *r, const char *text, const char *token_file, struct tl_buf *out,
       struct tl_error *err)
{
	while (*text) {
		const char *open = strstr(text, "{{"), *close;
		char key[160], arg[160], akid[21], secret[41];
		size_t n;

		if (!open)
			return tl_buf_append_str(out, text, err);
		tl_buf_append(out, text, (size_t)(open - text), err);
		close = strstr(open, "}}");
		if (!close || (n = (size_t)(close - open - 2)) >= sizeof(key))
			return tl_error_set(err, TL_ERR_INVALID,
					    "an unterminated {{ in a shared file");
		snprintf(key, sizeof(key), "%.*s", (int)n, open + 2);
		arg[0] = '\0';
		if (strchr(key, ':')) {
			snprintf(arg, sizeof(arg), "%s", strchr(key, ':') + 1);
			*strchr(key, ':') = '\0';
		}
		if (strcmp(key, "access_key_id") == 0 || strcmp(key, "secret_access_key") == 0) {
			if (!arg[0] || add_static_user(r, arg, err) < 0)
				return tl_error_set(err, TL_ERR_INVALID,
						    "{{%s:USER}}: bad user '%s'", key, arg);
			user_keys(arg, akid, secret);
			tl_buf_append_str(out, key[0] == 'a' ? akid : secret, err);
		} else if (strcmp(key, "role_arn") == 0 && role_arn(r, arg)[0]) {
			tl_buf_append_str(out, role_arn(r, arg), err);
		} else if (strcmp(key, "web_identity_token_file") == 0 && !arg[0]) {
			tl_buf_append_str(out, token_file, err);
		} else {
			return tl_error_set(err, TL_ERR_INVALID,
					    "unknown placeholder {{%.100s}} (expected "
					    "access_key_id:USER, secret_access_key:USER, "
					    "role_arn:ROLE, web_identity_token_file)",
					    key);
		}
		text = close + 2;
	}
	return 0;
}

static int
write_file(const char *dir, const char *name, const char *text, char *path, size_t size,
	   struct tl_error *err)
{
	snprintf(path, size, "%s/%s", dir, name);
	return tl_file_write_atomic(path, text, strlen(text), 0600, err);
}

struct env {
	char *v[ENV_MAX];
	size_t n;
};

static void TL_PRINTF(2, 3) env_add(struct env *e, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (e->n + 1 >= ENV_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		e->v[e->n++] = s;
}

static void
env_free(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

/* Mints the case's token through the embedded issuer and registers its
 * provider with IAM once. */
static int
mint(struct chain_run *r, const struct tl_chain_case *c, char **token, struct tl_error *err)
{
	struct tl_mint_result res;
	char prefix[128];
	json_t *req = json_pack("{s:O}", "context", c->wi_token ? c->wi_token : json_object());
	const char *iss;
	int rc = -1;

	*token = NULL;
	if (!req)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	if (json_array_size(c->wi_provider->audiences))
		json_object_set(req, "audience", json_array_get(c->wi_provider->audiences, 0));
	tl_embedded_prefix(r->e, c->wi_provider->profile->name, prefix, sizeof(prefix));
	if (tl_exchange_mint(r->ex, prefix, req, &res, err) < 0) {
		json_decref(req);
		return -1;
	}
	json_decref(req);
	if (res.status != 200) {
		tl_error_set(err, TL_ERR_INVALID, "%s: the issuer gives no token (HTTP %ld): %s",
			     c->where, res.status, res.reason);
		goto out;
	}
	iss = json_string_value(json_object_get(res.claims, "iss"));
	if (iss) {
		size_t i;
		for (i = 0; i < r->n_providers; i++)
			if (strcmp(r->providers[i], iss) == 0)
				break;
		if (i == r->n_providers && i < 16) {
			const char *ids[101];
			size_t n = 0;
			struct tl_aws_reply reply;
			for (; n < json_array_size(c->wi_provider->audiences) && n < 100; n++)
				ids[n] = json_string_value(
					json_array_get(c->wi_provider->audiences, n));
			ids[n] = NULL;
			tl_aws_reply_init(&reply);
			if (tl_exchange_create_provider(r->ex, iss, ids, r->provider_arns[i],
							sizeof(r->provider_arns[0]), &reply,
							err) < 0) {
				tl_aws_reply_finish(&reply);
				goto out;
			}
			tl_aws_reply_finish(&reply);
			snprintf(r->providers[r->n_providers++], sizeof(r->providers[0]), "%s",
				 iss);
		}
	}
	*token = res.token;
	res.token = NULL;
	rc = 0;
out:
	tl_mint_result_finish(&res);
	return rc;
}

/* The server's own explanation of an ECS or IMDS answer, for the report. */
static void
probe_decision(struct chain_run *r, const struct tl_chain_case *c, struct tl_buf *why)
{
	struct tl_http_client *cl = tl_http_client_new(NULL, NULL);
	struct tl_http_reply rep;
	char url[600], hdr[600], header[512];
	const char *hs[3] = {NULL, NULL, NULL};

	if (!cl)
		return;
	tl_http_reply_init(&rep);
	if (c->task_role) {
		snprintf(url, sizeof(url), "%s/_trustlab/ecs/%s", r->e->sts_url, c->task_id);
		snprintf(hdr, sizeof(hdr), "Authorization: trustlab-task-token-%s", c->task_id);
		hs[0] = strcmp(c->task_authorization, "missing") ? hdr : NULL;
		if (strcmp(c->task_authorization, "wrong") == 0)
			snprintf(hdr, sizeof(hdr), "Authorization: wrong-token");
		if (tl_http_client_request(cl, "GET", url, hs, NULL, 0, &rep, NULL) == 0 &&
		    tl_http_reply_header(&rep, "x-trustlab-decision", header, sizeof(header)))
			tl_buf_printf(why, NULL, "ECS endpoint (task %s): HTTP %ld %s; %s\n",
				      c->task_id, rep.status, tl_buf_str(&rep.body), header);
	}
	if (c->instance && c->instance_role) {
		tl_http_reply_finish(&rep);
		tl_http_reply_init(&rep);
		snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/%s",
			 r->e->imds_url, c->instance_role);
		if (tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &rep, NULL) == 0 &&
		    tl_http_reply_header(&rep, "x-trustlab-decision", header, sizeof(header)))
			tl_buf_printf(why, NULL, "IMDS without a token (IMDSv1): HTTP %ld; %s\n",
				      rep.status, header);
	}
	tl_http_reply_finish(&rep);
	tl_http_client_free(cl);
}

/* Runs one case with one SDK; adds the result. */
static int
run_one(struct chain_run *r, const struct tl_chain_case *c, enum tl_chain_sdk sdk,
	struct tl_report *report, struct tl_error *err)
{
	struct sdk_probe *p = sdk == TL_CHAIN_SDK_NODE ? &node_probe : &boto3_probe;
	struct tl_report_result res = {0};
	char expected[200], actual[400] = "", message[2048] = "",
			    dir[] = "/tmp/trustlab-chain-XXXXXX";
	char path[1200], token_file[1200] = "", driver[1200], *token = NULL;
	struct tl_buf out, errb, text, why;
	struct env env = {.n = 0};
	struct timespec t0, t1;
	json_t *j = NULL;
	int rc = -1, status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_buf_init(&out, 1024 * 1024);
	tl_buf_init(&errb, 1024 * 1024);
	tl_buf_init(&text, 256 * 1024);
	tl_buf_init(&why, 64 * 1024);
	switch (c->expect) {
	case TL_CHAIN_EXPECT_ROLE:
		snprintf(expected, sizeof(expected), "role/%s", c->expect_name);
		break;
	case TL_CHAIN_EXPECT_USER:
		snprintf(expected, sizeof(expected), "user/%s", c->expect_name);
		break;
	case TL_CHAIN_EXPECT_NONE:
		snprintf(expected, sizeof(expected), "no-credentials");
		break;
	}
	res.scenario = c->scenario;
	res.file = c->file;
	res.name = c->name;
	res.matrix = NULL;
	res.role = sdk == TL_CHAIN_SDK_NODE ? "sdk:node" : "sdk:boto3";
	res.expected = expected;
	res.actual = actual;

	if (!p->probed)
		sdk == TL_CHAIN_SDK_NODE ? probe_node() : probe_boto3();
	if (!p->ok) {
		snprintf(actual, sizeof(actual), "sdk-unavailable");
		snprintf(message, sizeof(message), "%s", p->why);
		res.message = message;
		rc = tl_report_add(report, &res, err);
		goto done;
	}
	if (!mkdtemp(dir)) {
		tl_error_set(err, TL_ERR_IO, "mkdtemp: %s", strerror(errno));
		goto done;
	}
	/* The environment: only what the case names, pointed at the mocks. */
	env_add(&env, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	env_add(&env, "HOME=%s", dir);
	env_add(&env, "LANG=C.UTF-8");
	env_add(&env, "AWS_REGION=us-east-1");
	env_add(&env, "AWS_DEFAULT_REGION=us-east-1");
	env_add(&env, "AWS_ENDPOINT_URL_STS=%s", r->e->sts_url);
	env_add(&env, "AWS_EC2_METADATA_SERVICE_ENDPOINT=%s", r->e->imds_url);
	env_add(&env, "NODE_NO_WARNINGS=1");
	if (sdk == TL_CHAIN_SDK_NODE)
		env_add(&env, "NODE_PATH=%s", p->modules);
	if (c->static_user) {
		char akid[21], secret[41];
		if (add_static_user(r, c->static_user, err) < 0)
			goto done;
		user_keys(c->static_user, akid, secret);
		env_add(&env, "AWS_ACCESS_KEY_ID=%s", akid);
		env_add(&env, "AWS_SECRET_ACCESS_KEY=%s", secret);
	}
	if (c->wi_role) {
		if (mint(r, c, &token, err) < 0 ||
		    write_file(dir, "web-identity-token", token, token_file, sizeof(token_file),
			       err) < 0)
			goto done;
		env_add(&env, "AWS_WEB_IDENTITY_TOKEN_FILE=%s", token_file);
		env_add(&env, "AWS_ROLE_ARN=%s", role_arn(r, c->wi_role));
		if (c->wi_session)
			env_add(&env, "AWS_ROLE_SESSION_NAME=%s", c->wi_session);
	}
	if (c->task_role) {
		char tok[128];
		snprintf(tok, sizeof(tok), "trustlab-task-token-%s", c->task_id);
		if (tl_stsd_set_task(r->e->sts, c->task_id, c->task_role, tok, err) < 0)
			goto done;
		env_add(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s/_trustlab/ecs/%s",
			r->e->sts_url, c->task_id);
		if (strcmp(c->task_authorization, "match") == 0)
			env_add(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN=%s", tok);
		else if (strcmp(c->task_authorization, "wrong") == 0)
			env_add(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token");
	}
	if (c->instance) {
		struct tl_stsd_instance inst = {
			.id = c->instance_id,
			.role = c->instance_role,
			.tokens = c->imds_optional ? TL_STSD_IMDS_OPTIONAL : TL_STSD_IMDS_REQUIRED,
			.hop_limit = c->hop_limit,
			.client_hops = c->in_container ? 2 : 1,
		};
		if (tl_stsd_set_instance(r->e->sts, &inst, err) < 0)
			goto done;
	} else if (tl_stsd_set_instance(r->e->sts, NULL, err) < 0) {
		goto done;
	}
	tl_buf_reset(&text);
	if (c->config_text && expand(r, c->config_text, token_file, &text, err) < 0)
		goto done;
	if (write_file(dir, "config", tl_buf_str(&text), path, sizeof(path), err) < 0)
		goto done;
	env_add(&env, "AWS_CONFIG_FILE=%s", path);
	tl_buf_reset(&text);
	if (c->credentials_text && expand(r, c->credentials_text, token_file, &text, err) < 0)
		goto done;
	if (write_file(dir, "credentials", tl_buf_str(&text), path, sizeof(path), err) < 0)
		goto done;
	env_add(&env, "AWS_SHARED_CREDENTIALS_FILE=%s", path);
	if (c->aws_profile)
		env_add(&env, "AWS_PROFILE=%s", c->aws_profile);
	if (c->sdk_profile)
		env_add(&env, "TRUSTLAB_SDK_PROFILE=%s", c->sdk_profile);
	env.v[env.n] = NULL;

	if (write_file(dir, sdk == TL_CHAIN_SDK_NODE ? "driver.cjs" : "driver.py",
		       sdk == TL_CHAIN_SDK_NODE ? node_driver : boto3_driver, driver,
		       sizeof(driver), err) < 0)
		goto done;
	{
		char *argv[] = {p->program, driver, NULL};
		status = run_child(argv, env.v, dir, &out, &errb);
	}
	{
		/* The driver prints one JSON line; anything else is a failure to show. */
		const char *line = tl_buf_str(&out), *last = line;
		for (const char *q = line; *q; q++)
			if (*q == '\n' && q[1])
				last = q + 1;
		j = json_loads(last, 0, NULL);
	}
	if (!j || !json_is_string(json_object_get(j, "outcome"))) {
		snprintf(actual, sizeof(actual), "error");
		snprintf(message, sizeof(message),
			 "the %s driver exited %d without a result: %.1500s",
			 tl_chain_sdk_name(sdk), status, tl_buf_str(&errb));
	} else {
		const char *outcome = json_string_value(json_object_get(j, "outcome"));
		const char *arn = json_string_value(json_object_get(j, "arn"));
		const char *version = json_string_value(json_object_get(j, "version"));
		const char *msg = json_string_value(json_object_get(j, "message"));
		char user_prefix[64], role_prefix[64];

		snprintf(user_prefix, sizeof(user_prefix), "arn:aws:iam::%s:user/", r->account);
		snprintf(role_prefix, sizeof(role_prefix), "arn:aws:sts::%s:assumed-role/",
			 r->account);
		if (strcmp(outcome, "identity") == 0 && arn &&
		    strncmp(arn, user_prefix, strlen(user_prefix)) == 0)
			snprintf(actual, sizeof(actual), "user/%s", arn + strlen(user_prefix));
		else if (strcmp(outcome, "identity") == 0 && arn &&
			 strncmp(arn, role_prefix, strlen(role_prefix)) == 0)
			snprintf(actual, sizeof(actual), "role/%.*s",
				 (int)strcspn(arn + strlen(role_prefix), "/"),
				 arn + strlen(role_prefix));
		else if (strcmp(outcome, "no-credentials") == 0)
			snprintf(actual, sizeof(actual), "no-credentials");
		else
			snprintf(actual, sizeof(actual), "error");
		snprintf(message, sizeof(message), "%s %s: %s%s%s", tl_chain_sdk_name(sdk),
			 version ? version : "?", arn ? arn : "", arn && msg ? "; " : "",
			 msg ? msg : "");
	}
	res.message = message;
	res.passed = strcmp(actual, expected) == 0;
	if (!res.passed) {
		tl_buf_printf(&why, NULL, "the %s default chain ended with %s, expected %s\n",
			      tl_chain_sdk_name(sdk), actual, expected);
		for (size_t i = 0; i < env.n; i++)
			if (strncmp(env.v[i], "AWS_", 4) == 0 &&
			    strncmp(env.v[i], "AWS_SECRET", 10) != 0)
				tl_buf_printf(&why, NULL, "env %s\n", env.v[i]);
		if (c->sdk_profile)
			tl_buf_printf(&why, NULL, "profile hard-coded in the program: %s\n",
				      c->sdk_profile);
		probe_decision(r, c, &why);
		res.trace_text = tl_buf_str(&why);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res.duration_ms =
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	rc = tl_report_add(report, &res, err);
done:
	if (c->task_role)
		tl_stsd_set_task(r->e->sts, c->task_id, NULL, NULL, NULL);
	if (dir[strlen(dir) - 1] != 'X') {
		static const char *const names[] = {"web-identity-token", "config",
						    "credentials",	  "driver.cjs",
						    "driver.py",	  NULL};
		for (const char *const *n = names; *n; n++) {
			snprintf(path, sizeof(path), "%s/%s", dir, *n);
			unlink(path);
		}
		rmdir(dir);
	}
	json_decref(j);
	free(token);
	env_free(&env);
	tl_buf_finish(&out);
	tl_buf_finish(&errb);
	tl_buf_finish(&text);
	tl_buf_finish(&why);
	return rc;
}

/* TRUSTLAB_SDKS=node,boto3 narrows the SDKs every case runs with. */
static unsigned
sdk_mask(void)
{
	const char *v = getenv("TRUSTLAB_SDKS");
	unsigned mask = 0;

	if (!v || !*v)
		return TL_CHAIN_SDK_ALL;
	while (*v) {
		size_t n = strcspn(v, ", ");
		if (n == 4 && strncmp(v, "node", 4) == 0)
			mask |= TL_CHAIN_SDK_NODE;
		else if (n == 5 && strncmp(v, "boto3", 5) == 0)
			mask |= TL_CHAIN_SDK_BOTO3;
		v += n;
		v += strspn(v, ", ");
	}
	return mask;
}

int
tl_run_chain(const struct tl_scenario *s, const struct tl_embedded *e,
	     const struct tl_run_selection *sel, struct tl_report *report, struct tl_error *err)
{
	struct tl_exchange_config xcfg = {0};
	struct chain_run *r;
	size_t n = tl_scenario_chain_count(s), created = 0, nroles = tl_scenario_role_count(s);
	int rc = -1;

	if (n == 0)
		return 0;
	if (!e || !e->sts)
		return tl_error_set(err, TL_ERR_INVALID,
				    "%s: credential_chain cases configure the embedded servers "
				    "(users, tasks, the instance): run them without --issuer-url "
				    "and --sts-url",
				    tl_scenario_file(s));
	if (nroles > 64)
		return tl_error_set(err, TL_ERR_LIMIT,
				    "%s: more than 64 roles with credential_chain",
				    tl_scenario_file(s));
	r = calloc(1, sizeof(*r));
	if (!r)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	r->s = s;
	r->e = e;
	/* The embedded mock-sts answers for its default account. */
	snprintf(r->account, sizeof(r->account), "123456789012");
	xcfg.issuer_url = e->issuer_url;
	xcfg.sts_url = e->sts_url;
	r->ex = tl_exchange_new(&xcfg, err);
	if (!r->ex)
		goto out;
	for (; created < nroles; created++) {
		const struct tl_scenario_role *role = tl_scenario_role(s, created);
		struct tl_aws_reply reply;
		int c;
		tl_aws_reply_init(&reply);
		c = tl_exchange_create_role(r->ex, role->name, role->policy_text,
					    role->max_session_duration, r->role_arn[created],
					    sizeof(r->role_arn[0]), &reply, err);
		if (c == 0 && reply.status != 200)
			c = tl_error_set(err, TL_ERR_INVALID, "CreateRole %s: %s: %s", role->name,
					 reply.code, reply.message);
		tl_aws_reply_finish(&reply);
		if (c < 0) {
			tl_error_prefix(err, "%s: role '%s'", tl_scenario_file(s), role->name);
			goto teardown;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct tl_chain_case *c = tl_scenario_chain_case(s, i);
		struct tl_case probe = {.name = c->name, .id = c->id};
		unsigned mask = sdk_mask();

		if (sel && sel->filter && !tl_case_matches_filter(&probe, sel->filter))
			continue;
		if (sel && sel->shard_n && !tl_case_in_shard(&probe, sel->shard_k, sel->shard_n))
			continue;
		for (unsigned b = TL_CHAIN_SDK_NODE; b <= TL_CHAIN_SDK_BOTO3; b <<= 1)
			if ((c->sdks & mask & b) &&
			    run_one(r, c, (enum tl_chain_sdk)b, report, err) < 0) {
				tl_error_prefix(err, "%s: %s", c->file, c->where);
				goto teardown;
			}
	}
	rc = 0;
teardown:
	tl_stsd_set_instance(e->sts, NULL, NULL);
	for (size_t i = 0; i < created; i++) {
		struct tl_aws_reply reply;
		tl_aws_reply_init(&reply);
		tl_exchange_delete_role(r->ex, tl_scenario_role(s, i)->name, &reply, NULL);
		tl_aws_reply_finish(&reply);
	}
	for (size_t i = 0; i < r->n_providers; i++) {
		struct tl_aws_reply reply;
		tl_aws_reply_init(&reply);
		tl_exchange_delete_provider(r->ex, r->provider_arns[i], &reply, NULL);
		tl_aws_reply_finish(&reply);
	}
out:
	tl_exchange_free(r->ex);
	free(r);
	return rc;
}
