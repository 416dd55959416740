/* SPDX-License-Identifier: MIT */
/*
 * The HTTP ceiling for bench/run: libmicrohttpd with the same threading as
 * the trustlab servers (thread pool, epoll), answering every request with
 * a fixed 200 body after reading the request's body, and nothing else.
 *   mhd-fixed THREADS   (prints `listening on http://127.0.0.1:PORT`)
 */
#include "config.h"

#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char reply[] = "<ok/>";

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	if (!*state) {
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof(reply) - 1, (void *)(uintptr_t)reply,
					    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "text/xml");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer,
			     NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
	if (!d)
		return 1;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on http://127.0.0.1:%u\n", info ? info->port : 0);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
