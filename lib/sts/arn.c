/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sts/arn.h"
#include "sts/sts-private.h"

static bool
copy_part(char *dst, size_t size, const char *start, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, start, len);
	dst[len] = '\0';
	return true;
}

int
tl_sts_arn_parse(const char *text, struct tl_sts_arn *arn)
{
	const char *parts[5];
	const char *p = text;

	if (!text || strncmp(text, "arn:", 4) != 0)
		return -1;
	p = text + 4;
	for (int i = 0; i < 4; i++) {
		const char *colon = strchr(p, ':');
		if (!colon)
			return -1;
		parts[i] = p;
		p = colon + 1;
	}
	parts[4] = p;
	if (!copy_part(arn->partition, sizeof(arn->partition), parts[0],
		       (size_t)(parts[1] - parts[0] - 1)) ||
	    !copy_part(arn->service, sizeof(arn->service), parts[1],
		       (size_t)(parts[2] - parts[1] - 1)) ||
	    !copy_part(arn->region, sizeof(arn->region), parts[2],
		       (size_t)(parts[3] - parts[2] - 1)) ||
	    !copy_part(arn->account, sizeof(arn->account), parts[3],
		       (size_t)(parts[4] - parts[3] - 1)) ||
	    !copy_part(arn->resource, sizeof(arn->resource), parts[4], strlen(parts[4])))
		return -1;
	if (!arn->partition[0] || !arn->service[0] || !arn->resource[0])
		return -1;
	return 0;
}

bool
tl_sts_account_valid(const char *account)
{
	size_t n = 0;

	for (; account[n]; n++) {
		if (account[n] < '0' || account[n] > '9')
			return false;
	}
	return n == TL_STS_ACCOUNT_LEN;
}

static bool
name_chars(const char *name, size_t min, size_t max)
{
	size_t n = strlen(name);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!tl_sts_cp_name((unsigned char)name[i]))
			return false;
	}
	return true;
}

bool
tl_sts_role_name_valid(const char *name)
{
	return name_chars(name, 1, TL_STS_ROLE_NAME_MAX);
}

bool
tl_sts_session_name_valid(const char *name)
{
	return name_chars(name, 2, 64);
}

bool
tl_sts_role_path_valid(const char *path)
{
	size_t n = strlen(path);

	if (n < 1 || n > TL_STS_ROLE_PATH_MAX || path[0] != '/' || path[n - 1] != '/')
		return false;
	if (n == 1)
		return true;
	if (n == 2)
		return false; /* "//": the middle part needs a character */
	for (size_t i = 1; i + 1 < n; i++) {
		if (path[i] < 0x21 || path[i] > 0x7e)
			return false;
	}
	return true;
}

static bool
partition_known(const char *p)
{
	return strcmp(p, "aws") == 0 || strcmp(p, "aws-cn") == 0 || strcmp(p, "aws-us-gov") == 0;
}

int
tl_sts_arn_role(const char *text, char account[TL_STS_ACCOUNT_LEN + 1],
		char path[TL_STS_ROLE_PATH_MAX + 1], char name[TL_STS_ROLE_NAME_MAX + 1])
{
	struct tl_sts_arn arn;
	const char *slash;
	size_t path_len;

	if (tl_sts_arn_parse(text, &arn) < 0 || !partition_known(arn.partition) ||
	    strcmp(arn.service, "iam") != 0 || arn.region[0] ||
	    !tl_sts_account_valid(arn.account) || strncmp(arn.resource, "role/", 5) != 0)
		return -1;
	slash = strrchr(arn.resource, '/');
	if (!tl_sts_role_name_valid(slash + 1))
		return -1;
	/* path is "/" + what lies between "role/" and the name */
	path_len = (size_t)(slash - (arn.resource + 4)) + 1;
	if (path_len > TL_STS_ROLE_PATH_MAX)
		return -1;
	memcpy(path, arn.resource + 4, path_len);
	path[path_len] = '\0';
	if (!tl_sts_role_path_valid(path))
		return -1;
	memcpy(account, arn.account, TL_STS_ACCOUNT_LEN + 1);
	snprintf(name, TL_STS_ROLE_NAME_MAX + 1, "%s", slash + 1);
	return 0;
}

int
tl_sts_arn_oidc_provider(const char *text, char account[TL_STS_ACCOUNT_LEN + 1], char *url,
			 size_t url_size)
{
	struct tl_sts_arn arn;
	const char *rest;

	if (tl_sts_arn_parse(text, &arn) < 0 || !partition_known(arn.partition) ||
	    strcmp(arn.service, "iam") != 0 || arn.region[0] ||
	    !tl_sts_account_valid(arn.account) || strncmp(arn.resource, "oidc-provider/", 14) != 0)
		return -1;
	rest = arn.resource + 14;
	if (!rest[0] || rest[0] == '/' || strlen(rest) >= url_size)
		return -1;
	memcpy(account, arn.account, TL_STS_ACCOUNT_LEN + 1);
	memcpy(url, rest, strlen(rest) + 1);
	return 0;
}

int
tl_sts_arn_format_role(char *out, size_t size, const char *account, const char *path,
		       const char *name)
{
	return snprintf(out, size, "arn:aws:iam::%s:role%s%s", account, path, name);
}

int
tl_sts_arn_format_assumed_role(char *out, size_t size, const char *account, const char *role_name,
			       const char *session_name)
{
	return snprintf(out, size, "arn:aws:sts::%s:assumed-role/%s/%s", account, role_name,
			session_name);
}

int
tl_sts_arn_format_oidc_provider(char *out, size_t size, const char *account, const char *url)
{
	if (strncmp(url, "https://", 8) == 0)
		url += 8;
	return snprintf(out, size, "arn:aws:iam::%s:oidc-provider/%s", account, url);
}
