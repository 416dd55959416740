/* SPDX-License-Identifier: MIT */
#pragma once

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Each test binary defines this and adds its suites. */
void tl_test_add_suites(SRunner *sr);

/* argv as given to the test binary (meson passes data paths this way). */
void tl_test_set_args(int argc, char **argv);
/* The i-th argument after the program name, or NULL. */
const char *tl_test_arg(int i);

/* --- raw HTTP, for requests no well-behaved client would send --------- */

/*
 * Connects to 127.0.0.1:port, writes `len` bytes, optionally half-closes,
 * and reads until the peer closes or `timeout_ms` passes. Returns the
 * HTTP status of the first response line, 0 when the server closed
 * without answering, -1 when the connection failed, -2 on timeout. The
 * reply (up to size-1 bytes) goes to `reply` when not NULL.
 */
int tl_test_raw_http(uint16_t port, const void *data, size_t len, bool half_close, int timeout_ms,
		     char *reply, size_t size);

/* --- spawned programs (integration tests) ---------------------------- */

struct tl_test_proc {
	pid_t pid;
	int out_fd; /* the child's stdout, read end */
	char url[128]; /* from its `listening on URL` line */
	uint16_t port;
};

/*
 * Starts `argv[0]` (a path) with stdout on a pipe and waits, up to
 * `timeout_ms`, for the `listening on http://HOST:PORT` line. Returns 0
 * when ready; -1 (after killing the child) when it exited or timed out.
 */
int tl_test_spawn_server(struct tl_test_proc *p, char *const argv[], int timeout_ms);

/* Reads the child's next stdout line (without newline); -1 on EOF or timeout. */
int tl_test_read_line(struct tl_test_proc *p, char *line, size_t size, int timeout_ms);

/*
 * Sends `sig`, waits up to `timeout_ms` for the exit and returns the wait
 * status (as from waitpid), or -1 after a SIGKILL when it did not exit.
 */
int tl_test_stop(struct tl_test_proc *p, int sig, int timeout_ms);

/*
 * Runs a program to completion with a timeout, capturing stdout and
 * stderr (each up to size-1 bytes). Returns its exit code, 128+signal
 * when killed by a signal, or -1 when it could not run or timed out.
 */
int tl_test_run(char *const argv[], int timeout_ms, char *out, size_t out_size, char *errbuf,
		size_t err_size);

/* Path of a built program, from the environment variable `var` (set by meson). */
const char *tl_test_program(const char *var);
