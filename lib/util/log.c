/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "util/log.h"

static const char *log_program = "trustlab";
static enum tl_log_level log_max = TL_LOG_INFO;
static unsigned log_per_second = 50;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t log_window;
static unsigned log_in_window;
static unsigned long log_dropped;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void
tl_log_setup(const char *program, enum tl_log_level max_level, unsigned per_second)
{
	log_program = program;
	log_max = max_level;
	log_per_second = per_second;
}

void
tl_log(enum tl_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	time_t now;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	now = time(NULL);
	pthread_mutex_lock(&log_lock);
	if (now != log_window) {
		if (log_dropped)
			fprintf(stderr, "%s: warning: %lu log lines suppressed by the rate limit\n",
				log_program, log_dropped);
		log_window = now;
		log_in_window = 0;
		log_dropped = 0;
	}
	if (log_per_second && log_in_window >= log_per_second && level != TL_LOG_ERROR) {
		log_dropped++;
	} else {
		log_in_window++;
		fprintf(stderr, "%s: %s: %s\n", log_program, level_names[level], line);
	}
	pthread_mutex_unlock(&log_lock);
}

void
tl_log_error(const char *context, const struct tl_error *err)
{
	char text[1024];
	tl_error_format(err, text, sizeof(text));
	tl_log(TL_LOG_ERROR, "%s: %s", context, text);
}
