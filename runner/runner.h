/* SPDX-License-Identifier: MIT */
#pragma once

/* The trustlab command: one file per subcommand, dispatched from main.c. */

#include <stdbool.h>

#include "http/server.h"

/* Exit statuses shared by every subcommand. */
enum {
	TL_EXIT_OK = 0,
	TL_EXIT_FAILED = 1, /* an expectation failed, a check found a problem */
	TL_EXIT_USAGE = 2, /* invalid input: flags, files */
};

/* The two servers, embedded in this process or reached over HTTP. */
struct tl_embedded {
	struct tl_http_server *issuer;
	struct tl_http_server *sts;
	char issuer_url[256];
	char sts_url[256];
};

/*
 * Starts the mock-issuer and mock-sts services in-process on `listen`
 * addresses (NULL: 127.0.0.1:0) and fills the URLs.
 */
int tl_embedded_start(struct tl_embedded *e, const char *issuer_listen, const char *sts_listen,
		      struct tl_error *err);
void tl_embedded_stop(struct tl_embedded *e);

int tl_cmd_serve(int argc, char **argv);
int tl_cmd_smoke(int argc, char **argv);
int tl_cmd_explain(int argc, char **argv);
int tl_cmd_validate(int argc, char **argv);
