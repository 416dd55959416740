/* SPDX-License-Identifier: MIT */
/*
 * A small keep-alive HTTP/1.1 load client: CONNECTIONS threads, each with
 * one connection, POSTing BODY to / back to back for SECONDS, timing every
 * request, stopping early after MAX_REQUESTS in all when given (bench/run
 * uses that to issue an exact number of sessions). Prints requests/s,
 * p50/p99 latency and the status counts.
 *   bench-sts-load PORT BODY_FILE CONNECTIONS SECONDS [MAX_REQUESTS]
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LAT_MAX (1u << 22)

static int port;
static char *request;
static size_t request_len;
static double seconds;
static unsigned long per_conn; /* 0: no count limit */
static uint32_t *lat_us; /* shared sample array */
static size_t lat_n;
static pthread_mutex_t lat_lock = PTHREAD_MUTEX_INITIALIZER;

struct counts {
	unsigned long ok, other, failed;
};

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_one(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Reads one response; returns its status or -1. */
static int
read_response(int fd, char *buf, size_t size)
{
	size_t have = 0;
	char *end;
	long clen;
	int status;

	for (;;) {
		ssize_t n = read(fd, buf + have, size - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		if (have == size - 1)
			return -1;
	}
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	{
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		clen = cl ? strtol(cl + 17, NULL, 10) : 0;
	}
	{
		size_t body_have = have - (size_t)(end + 4 - buf);
		while ((long)body_have < clen) {
			ssize_t n = read(fd, buf, size - 1);
			if (n <= 0)
				return -1;
			body_have += (size_t)n;
		}
	}
	return status;
}

static void *
worker(void *arg)
{
	struct counts *c = arg;
	static __thread char buf[65536];
	uint32_t *mine = malloc(sizeof(uint32_t) * (1u << 20));
	size_t n = 0;
	double stop = now_s() + seconds;
	int fd = connect_one();

	while (fd >= 0 && now_s() < stop && (!per_conn || c->ok + c->other < per_conn)) {
		double t0 = now_s();
		int st;
		if (write(fd, request, request_len) != (ssize_t)request_len) {
			c->failed++;
			break;
		}
		st = read_response(fd, buf, sizeof(buf));
		if (st < 0) {
			c->failed++;
			close(fd);
			fd = connect_one();
			continue;
		}
		if (st == 200)
			c->ok++;
		else
			c->other++;
		if (mine && n < (1u << 20))
			mine[n++] = (uint32_t)((now_s() - t0) * 1e6);
	}
	if (fd >= 0)
		close(fd);
	pthread_mutex_lock(&lat_lock);
	for (size_t i = 0; mine && i < n && lat_n < LAT_MAX; i++)
		lat_us[lat_n++] = mine[i];
	pthread_mutex_unlock(&lat_lock);
	free(mine);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char *body;
	long blen;
	int conns;
	pthread_t *t;
	struct counts *c, total = {0, 0, 0};
	double t0, elapsed;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: bench-sts-load PORT BODY_FILE CONNECTIONS SECONDS "
				"[MAX_REQUESTS]\n");
		return 2;
	}
	port = atoi(argv[1]);
	conns = atoi(argv[3]);
	seconds = atof(argv[4]);
	if (conns < 1)
		conns = 1;
	if (argc == 6)
		per_conn = (strtoul(argv[5], NULL, 10) + (unsigned long)conns - 1) /
			   (unsigned long)conns;
	f = fopen(argv[2], "rb");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (blen = ftell(f)) < 0) {
		perror(argv[2]);
		return 1;
	}
	rewind(f);
	body = malloc((size_t)blen + 1);
	if (!body || fread(body, 1, (size_t)blen, f) != (size_t)blen)
		return 1;
	fclose(f);
	while (blen > 0 && (body[blen - 1] == '\n' || body[blen - 1] == '\r'))
		blen--;
	request = malloc((size_t)blen + 512);
	request_len = (size_t)sprintf(request,
				      "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
				      "application/x-www-form-urlencoded; charset=utf-8\r\n"
				      "Content-Length: %ld\r\n\r\n",
				      port, blen);
	memcpy(request + request_len, body, (size_t)blen);
	request_len += (size_t)blen;
	lat_us = malloc(sizeof(uint32_t) * LAT_MAX);
	t = calloc((size_t)conns, sizeof(*t));
	c = calloc((size_t)conns, sizeof(*c));
	if (!lat_us || !t || !c)
		return 1;
	t0 = now_s();
	for (int i = 0; i < conns; i++)
		pthread_create(&t[i], NULL, worker, &c[i]);
	for (int i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		total.ok += c[i].ok;
		total.other += c[i].other;
		total.failed += c[i].failed;
	}
	elapsed = now_s() - t0;
	qsort(lat_us, lat_n, sizeof(*lat_us), cmp);
	printf("req_per_s=%.0f ok=%lu non200=%lu failed=%lu p50_ms=%.2f p99_ms=%.2f\n",
	       (double)(total.ok + total.other) / elapsed, total.ok, total.other, total.failed,
	       lat_n ? lat_us[lat_n / 2] / 1000.0 : 0.0,
	       lat_n ? lat_us[(size_t)((double)lat_n * 0.99)] / 1000.0 : 0.0);
	free(lat_us);
	free(t);
	free(c);
	free(request);
	free(body);
	return total.ok ? 0 : 1;
}
