/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-common.h"

static int test_argc;
static char **test_argv;

void
tl_test_set_args(int argc, char **argv)
{
	test_argc = argc;
	test_argv = argv;
}

const char *
tl_test_arg(int i)
{
	return i + 1 < test_argc ? test_argv[i + 1] : NULL;
}

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
tl_test_raw_http(uint16_t port, const void *data, size_t len, bool half_close, int timeout_ms,
		 char *reply, size_t size)
{
	struct sockaddr_in sin = {0};
	char local[4096];
	size_t got = 0;
	long deadline = now_ms() + timeout_ms;
	int fd, status = 0;

	if (!reply) {
		reply = local;
		size = sizeof(local);
	}
	reply[0] = '\0';
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	/* Write what the server takes; it may close early (413, 431). */
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		long left = deadline - now_ms();
		ssize_t n;
		if (left <= 0) {
			status = -2;
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recv(fd, reply + got, size - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		reply[got] = '\0';
		if (got + 1 >= size)
			break;
	}
	close(fd);
	if (status == -2 && got == 0)
		return -2;
	if (got >= 12 && strncmp(reply, "HTTP/1.", 7) == 0)
		return atoi(reply + 9);
	return 0;
}

const char *
tl_test_program(const char *var)
{
	const char *p = getenv(var);
	ck_assert_msg(p && *p, "environment variable %s (path of a built program) is not set", var);
	return p;
}

int
tl_test_read_line(struct tl_test_proc *p, char *line, size_t size, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	size_t got = 0;

	while (got + 1 < size) {
		struct pollfd pfd = {p->out_fd, POLLIN, 0};
		long left = deadline - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		if (read(p->out_fd, line + got, 1) != 1)
			return -1;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	return 0;
}

int
tl_test_spawn_server(struct tl_test_proc *p, char *const argv[], int timeout_ms)
{
	int pipefd[2];
	char line[512];
	long deadline = now_ms() + timeout_ms;

	memset(p, 0, sizeof(*p));
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	p->out_fd = pipefd[0];
	/* The first line that announces a URL (`listening on http://...`). */
	for (;;) {
		long left = deadline - now_ms();
		const char *at;
		if (left <= 0 || tl_test_read_line(p, line, sizeof(line), (int)left) < 0)
			break;
		at = strstr(line, "listening on ");
		if (at && sscanf(at, "listening on %127s", p->url) == 1) {
			const char *colon = strrchr(p->url, ':');
			p->port = colon ? (uint16_t)atoi(colon + 1) : 0;
			return 0;
		}
	}
	tl_test_stop(p, SIGKILL, 2000);
	return -1;
}

int
tl_test_stop(struct tl_test_proc *p, int sig, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int status;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, sig);
	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid)
			break;
		if (now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			status = -1;
			break;
		}
		usleep(5000);
	}
	if (p->out_fd > 0)
		close(p->out_fd);
	p->out_fd = -1;
	p->pid = 0;
	return status;
}

/* Reads what is available from fd into buf, discarding what does not fit. */
static void
drain(int fd, char *buf, size_t size, size_t *got, bool *open)
{
	char scratch[4096];
	size_t room = buf && size > *got + 1 ? size - 1 - *got : 0;
	ssize_t n = room ? read(fd, buf + *got, room) : read(fd, scratch, sizeof(scratch));

	if (n <= 0) {
		*open = false;
		return;
	}
	if (room) {
		*got += (size_t)n;
		buf[*got] = '\0';
	}
}

int
tl_test_run(char *const argv[], int timeout_ms, char *out, size_t out_size, char *errbuf,
	    size_t err_size)
{
	int opipe[2], epipe[2], status;
	size_t out_got = 0, err_got = 0;
	bool out_open = true, err_open = true;
	long deadline = now_ms() + timeout_ms;
	pid_t pid;

	if (out && out_size)
		out[0] = '\0';
	if (errbuf && err_size)
		errbuf[0] = '\0';
	if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(opipe[1], STDOUT_FILENO);
		dup2(epipe[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(opipe[1]);
	close(epipe[1]);
	while (out_open || err_open) {
		struct pollfd pfd[2] = {{out_open ? opipe[0] : -1, POLLIN, 0},
					{err_open ? epipe[0] : -1, POLLIN, 0}};
		long left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 2, (int)left) <= 0)
			continue;
		if (pfd[0].revents)
			drain(opipe[0], out, out_size, &out_got, &out_open);
		if (pfd[1].revents)
			drain(epipe[0], errbuf, err_size, &err_got, &err_open);
	}
	close(opipe[0]);
	close(epipe[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (out_open || err_open)
		return -1; /* timed out */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
