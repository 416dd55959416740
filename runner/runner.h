/* SPDX-License-Identifier: MIT */
#pragma once

/* The trustlab command: one file per subcommand, dispatched from main.c. */

#include <stdbool.h>

#include "util/error.h"

#include "http/server.h"

/* Exit statuses shared by every subcommand. */
enum {
	TL_EXIT_OK = 0,
	TL_EXIT_FAILED = 1, /* an expectation failed, a check found a problem */
	TL_EXIT_USAGE = 2, /* invalid input: flags, files */
};

struct tl_issuer_service;
struct tl_stsd;

#define TL_EMBEDDED_MAPS_MAX 32

/* What the embedded servers start with. */
struct tl_embedded_options {
	const char *issuer_listen; /* NULL: 127.0.0.1:0 */
	const char *sts_listen; /* NULL: 127.0.0.1:0 */
	const char *audit_log; /* mock-sts audit log, NULL: none */
};

/*
 * mock-issuer and mock-sts, started in this process on their own HTTP
 * servers: one issuer per provider profile at "/<profile>", and an STS
 * whose issuer map sends each profile's real `iss` (a pattern for issuers
 * that carry a tenant) to that local issuer, so tokens keep their real
 * `iss` and real trust policies match byte for byte.
 */
struct tl_embedded {
	struct tl_http_server *issuer_server;
	struct tl_http_server *sts_server;
	struct tl_issuer_service *issuer;
	struct tl_stsd *sts;
	char issuer_url[256];
	char sts_url[256];
	size_t map_count;
	char map_issuer[TL_EMBEDDED_MAPS_MAX][256];
	char map_url[TL_EMBEDDED_MAPS_MAX][320];
};

/* Starts both; `opt` may be NULL. On failure everything is stopped. */
int tl_embedded_start(struct tl_embedded *e, const struct tl_embedded_options *opt,
		      struct tl_error *err);
/* Stops and frees; safe on a zeroed or half-started struct. */
void tl_embedded_stop(struct tl_embedded *e);

/*
 * The issuer path prefix serving `profile` ("/github"): the embedded
 * issuer's when `e` is not NULL, else the mock-issuer default "/<profile>".
 */
void tl_embedded_prefix(const struct tl_embedded *e, const char *profile, char *out, size_t size);

int tl_cmd_serve(int argc, char **argv);
int tl_cmd_smoke(int argc, char **argv);
int tl_cmd_explain(int argc, char **argv);
int tl_cmd_validate(int argc, char **argv);
int tl_cmd_run(int argc, char **argv);
int tl_cmd_token(int argc, char **argv);
