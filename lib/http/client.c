/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/client.h"

#define HEADER_BLOCK_MAX (64 * 1024)

struct tl_http_client {
	struct tl_http_client_config cfg;
	CURL *curl;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_global_rc;

static void
curl_global(void)
{
	curl_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
tl_http_client_config_init(struct tl_http_client_config *cfg)
{
	cfg->connect_timeout_ms = 2000;
	cfg->timeout_ms = 10000;
	cfg->max_response = 1024 * 1024;
}

struct tl_http_client *
tl_http_client_new(const struct tl_http_client_config *cfg, struct tl_error *err)
{
	struct tl_http_client *cl;

	pthread_once(&curl_once, curl_global);
	if (curl_global_rc != CURLE_OK) {
		tl_error_set(err, TL_ERR_NETWORK, "libcurl failed to initialise: %s",
			     curl_easy_strerror(curl_global_rc));
		return NULL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory creating an HTTP client");
		return NULL;
	}
	if (cfg)
		cl->cfg = *cfg;
	else
		tl_http_client_config_init(&cl->cfg);
	cl->curl = curl_easy_init();
	if (!cl->curl) {
		free(cl);
		tl_error_set(err, TL_ERR_NOMEM, "cannot create a libcurl handle");
		return NULL;
	}
	return cl;
}

void
tl_http_client_free(struct tl_http_client *cl)
{
	if (!cl)
		return;
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	free(cl);
}

void
tl_http_reply_init(struct tl_http_reply *r)
{
	r->status = 0;
	tl_buf_init(&r->body, 0);
	tl_buf_init(&r->headers, HEADER_BLOCK_MAX);
	r->content_type[0] = '\0';
	r->new_connections = 0;
}

void
tl_http_reply_finish(struct tl_http_reply *r)
{
	if (!r)
		return;
	tl_buf_finish(&r->body);
	tl_buf_finish(&r->headers);
}

struct sink {
	struct tl_buf *buf;
	bool overflow;
};

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sink *s = userp;
	size_t n = size * nmemb;

	if (tl_buf_append(s->buf, data, n, NULL) < 0) {
		s->overflow = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	return n;
}

int
tl_http_client_request(struct tl_http_client *cl, const char *method, const char *url,
		       const char *const *headers, const void *body, size_t body_len,
		       struct tl_http_reply *reply, struct tl_error *err)
{
	struct curl_slist *list = NULL;
	struct sink body_sink = {&reply->body, false};
	struct sink header_sink = {&reply->headers, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = cl->curl;
	CURLcode rc;
	char *ct = NULL;
	int result = 0;

	tl_buf_reset(&reply->body);
	tl_buf_reset(&reply->headers);
	reply->body.max = cl->cfg.max_response;
	reply->status = 0;
	reply->content_type[0] = '\0';

	for (const char *const *h = headers; h && *h; h++) {
		struct curl_slist *next = curl_slist_append(list, *h);
		if (!next) {
			curl_slist_free_all(list);
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory building headers");
		}
		list = next;
	}
	/* Reset per request but keep the handle: its connection cache is
	 * what gives keep-alive reuse. */
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cl->cfg.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cl->cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cl->cfg.max_response);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body_sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &header_sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "trustlab/" TL_VERSION);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		}
	}

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		enum tl_errcode code = TL_ERR_NETWORK;
		if (body_sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
			code = TL_ERR_LIMIT;
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			code = TL_ERR_TIMEOUT;
		result = tl_error_set(err, code, "%s %s: %s", method, url,
				      code == TL_ERR_LIMIT
					      ? "response larger than the limit"
					      : (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &reply->new_connections);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(reply->content_type, sizeof(reply->content_type), "%s", ct);
	}
	/* The handle must not keep pointers into this call's stack. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(list);
	return result;
}

int
tl_http_reply_header(const struct tl_http_reply *r, const char *name, char *out, size_t size)
{
	const char *p = tl_buf_str(&r->headers);
	size_t name_len = strlen(name);
	int found = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t line_len = eol ? (size_t)(eol - p) : strlen(p);
		if (line_len > name_len && strncasecmp(p, name, name_len) == 0 &&
		    p[name_len] == ':') {
			const char *v = p + name_len + 1;
			const char *end = p + line_len;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' '))
				end--;
			size_t n = (size_t)(end - v);
			if (n >= size)
				n = size - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			found = 1;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return found;
}
