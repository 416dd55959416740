/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the server programs (mock-issuer, mock-sts, `trustlab serve`)
 * share: the common options, the readiness line, the wait for
 * SIGINT/SIGTERM and the graceful stop. Program code: it prints.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "http/server.h"

/* Help text of the shared options, for a program's --help. */
extern const char tl_serve_options_help[];

/*
 * Applies one shared option (`name` without the dashes) to `cfg`.
 * Returns 1 when `name` is one of them, 0 when it is not, -1 when the
 * value is bad (err names the option and why).
 */
int tl_serve_apply_option(struct tl_http_server_config *cfg, const char *name, const char *value,
			  struct tl_error *err);

/*
 * Blocks SIGINT and SIGTERM in the calling thread (servers started
 * afterwards inherit the mask), calls `start(ctx)`, which starts the
 * servers and prints their readiness lines, waits for one of the signals,
 * then calls `stop(ctx)`. Returns the signal number, or -1 when start
 * failed (err says why).
 */
int tl_serve_until_signal(int (*start)(void *ctx, struct tl_error *err), void (*stop)(void *ctx),
			  void *ctx, struct tl_error *err);

/* Prints `listening on URL` as one flushed line on stdout. */
void tl_serve_announce(const struct tl_http_server *srv);

/* Routes libmicrohttpd's diagnostics to the program's log. */
void tl_serve_log_line(void *ctx, const char *line);

/*
 * True when `listen` ("HOST:PORT", as --listen takes it) binds a loopback
 * address only (127.0.0.0/8, ::1, ::ffff:127.x.x.x).
 */
bool tl_serve_listen_is_loopback(const char *listen);

/*
 * When `listen` reaches beyond loopback, logs a loud warning on stderr:
 * the address, and `exposed` (what anyone who can connect may do, one
 * "- ..." line per item, newline-separated). Silent on loopback.
 */
void tl_serve_warn_exposure(const char *listen, const char *exposed);

/* A route handler answering {"status":"ok","service":<ctx>,"version":...}. */
void tl_serve_health(void *service_name, struct tl_http_exchange *ex);

/*
 * A whole server program: flags, help, version, one server, serving until
 * a signal. The program adds its own options and routes through the hooks.
 */
struct tl_server_program {
	const char *name;
	const char *summary; /* --help text after the usage line */
	const char *options; /* help of the program's own options, or NULL */
	const char *endpoints; /* help of the endpoints, or NULL */
	/* What an unauthenticated peer can do when --listen reaches beyond
	 * loopback (tl_serve_warn_exposure), or NULL. */
	const char *exposed;
	/* The program's own long options (flag == NULL, val >= 256), or NULL. */
	const struct option *extra;
	/* Called for each of `extra`; returns -1 with err set on a bad value. */
	int (*option)(void *state, int val, const char *arg, struct tl_error *err);
	/* Adds the routes (and builds the service) before the server starts. */
	int (*setup)(void *state, struct tl_http_server *srv, struct tl_error *err);
	void (*teardown)(void *state);
	void *state;
};

/* Runs the program; returns its exit status (0, 1 on failure, 2 on bad usage). */
int tl_server_program_main(const struct tl_server_program *prog, int argc, char **argv);
