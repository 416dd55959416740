/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/file.h"
#include "util/random.h"

#include "test-common.h"

START_TEST(error_set_and_format)
{
	struct tl_error err;
	char text[256];

	tl_error_clear(&err);
	ck_assert_int_eq(tl_error_set(&err, TL_ERR_INVALID, "bad value '%s'", "x"), -1);
	ck_assert_int_eq(err.code, TL_ERR_INVALID);
	tl_error_format(&err, text, sizeof(text));
	ck_assert_str_eq(text, "bad value 'x'");

	tl_error_locate_path(&err, "Statement[1].Effect");
	tl_error_format(&err, text, sizeof(text));
	ck_assert_str_eq(text, "Statement[1].Effect: bad value 'x'");

	tl_error_locate_file(&err, "policy.json", 3, 14);
	tl_error_format(&err, text, sizeof(text));
	ck_assert_str_eq(text, "policy.json:3:14: Statement[1].Effect: bad value 'x'");

	tl_error_prefix(&err, "role %s", "deploy");
	ck_assert_str_eq(err.message, "role deploy: bad value 'x'");

	/* A NULL error is allowed and the return value still signals failure. */
	ck_assert_int_eq(tl_error_set(NULL, TL_ERR_IO, "ignored"), -1);
}
END_TEST

START_TEST(error_format_truncates_safely)
{
	struct tl_error err;
	char small[8];
	size_t need;

	tl_error_set(&err, TL_ERR_SYNTAX, "a long message that does not fit");
	need = tl_error_format(&err, small, sizeof(small));
	ck_assert_uint_eq(need, strlen("a long message that does not fit"));
	ck_assert_str_eq(small, "a long ");
}
END_TEST

START_TEST(buf_grows_to_cap_and_refuses_beyond)
{
	struct tl_buf b;
	struct tl_error err;

	tl_buf_init(&b, 10);
	ck_assert_str_eq(tl_buf_str(&b), "");
	ck_assert_int_eq(tl_buf_append_str(&b, "hello", &err), 0);
	ck_assert_int_eq(tl_buf_printf(&b, &err, "%d%d", 12, 345), 0);
	ck_assert_str_eq(tl_buf_str(&b), "hello12345");
	ck_assert_uint_eq(b.len, 10);
	/* One byte more than the cap: refused, content unchanged. */
	ck_assert_int_eq(tl_buf_putc(&b, '!', &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);
	ck_assert_str_eq(tl_buf_str(&b), "hello12345");
	ck_assert_int_eq(tl_buf_printf(&b, &err, "x"), -1);
	ck_assert_str_eq(tl_buf_str(&b), "hello12345");
	tl_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(tl_buf_str(&b), "");
	tl_buf_finish(&b);
	tl_buf_finish(&b); /* twice is fine */
}
END_TEST

START_TEST(buf_xml_escape_and_steal)
{
	struct tl_buf b;
	size_t len;
	char *s;

	tl_buf_init(&b, 1024);
	ck_assert_int_eq(tl_buf_append_xml(&b, "a<b>&\"c'", NULL), 0);
	ck_assert_str_eq(tl_buf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos;");
	s = tl_buf_steal(&b, &len);
	ck_assert_uint_eq(len, strlen(s));
	ck_assert_ptr_null(b.data);
	free(s);

	/* An escape that overflows the cap leaves the buffer as it was. */
	tl_buf_init(&b, 6);
	ck_assert_int_eq(tl_buf_append_str(&b, "ab", NULL), 0);
	ck_assert_int_eq(tl_buf_append_xml(&b, "c&d", NULL), -1);
	ck_assert_str_eq(tl_buf_str(&b), "ab");
	tl_buf_finish(&b);
}
END_TEST

/* clang-format off */
static const struct {
	const char *text;
	int64_t unix_ms; /* -1: must be rejected */
} time_cases[] = {
	{"1970-01-01T00:00:00Z", 0},
	{"2026-11-23T12:00:00Z", 1795435200000},
	{"2026-11-23T12:00:00.250Z", 1795435200250},
	{"2026-11-23T13:00:00+01:00", 1795435200000},
	{"2026-11-23T11:30:00-0030", 1795435200000},
	{"2026-11-23", 1795392000000},
	{"2024-02-29T00:00:00Z", 1709164800000},
	{"1795435200", 1795435200000},
	{"2023-02-29T00:00:00Z", -1},  /* not a leap year */
	{"2026-13-01T00:00:00Z", -1},
	{"2026-11-23T24:00:00Z", -1},
	{"2026-11-23T12:00:00", -1},   /* no zone: ambiguous, refused */
	{"2026-11-23 12:00:00Z", -1},
	{"yesterday", -1},
	{"", -1},
	{"99999999999999999999", -1},
};
/* clang-format on */

START_TEST(time_parse_table)
{
	struct tl_error err;
	int64_t ms = 0;
	int rc = tl_time_parse(time_cases[_i].text, &ms, &err);

	if (time_cases[_i].unix_ms < 0) {
		ck_assert_msg(rc < 0, "case %d '%s' should be rejected, got %lld", _i,
			      time_cases[_i].text, (long long)ms);
		ck_assert_int_eq(err.code, TL_ERR_SYNTAX);
	} else {
		ck_assert_msg(rc == 0, "case %d '%s': %s", _i, time_cases[_i].text, err.message);
		ck_assert_msg(ms == time_cases[_i].unix_ms, "case %d '%s': got %lld want %lld", _i,
			      time_cases[_i].text, (long long)ms,
			      (long long)time_cases[_i].unix_ms);
	}
}
END_TEST

START_TEST(clock_pinned_and_formatted)
{
	struct tl_clock c;
	char text[TL_TIME_ISO8601_LEN];

	tl_clock_init_pinned(&c, 1795435200123);
	ck_assert_int_eq(tl_clock_now(&c), 1795435200);
	c.offset_ms = 3600 * 1000;
	ck_assert_int_eq(tl_clock_now(&c), 1795438800);
	tl_time_format_iso8601(tl_clock_now(&c), text);
	ck_assert_str_eq(text, "2026-11-23T13:00:00Z");

	tl_clock_init_system(&c);
	ck_assert_int_gt(tl_clock_now(&c), 1700000000);
	ck_assert_int_gt(tl_clock_now(NULL), 1700000000);
}
END_TEST

START_TEST(rng_seeded_is_reproducible)
{
	struct tl_rng a, b, c;
	char ua[TL_UUID_LEN], ub[TL_UUID_LEN], uc[TL_UUID_LEN];
	char sa[33], sb[33];

	tl_rng_init_seeded(&a, "golden");
	tl_rng_init_seeded(&b, "golden");
	tl_rng_init_seeded(&c, "other");
	ck_assert_int_eq(tl_rng_uuid(&a, ua, NULL), 0);
	ck_assert_int_eq(tl_rng_uuid(&b, ub, NULL), 0);
	ck_assert_int_eq(tl_rng_uuid(&c, uc, NULL), 0);
	ck_assert_str_eq(ua, ub);
	ck_assert_str_ne(ua, uc);
	ck_assert_uint_eq(strlen(ua), 36);
	ck_assert_int_eq(ua[14], '4'); /* version 4 */
	ck_assert_msg(strchr("89ab", ua[19]) != NULL, "variant nibble %c", ua[19]);

	ck_assert_int_eq(tl_rng_string(&a, "ABC", sa, 32, NULL), 0);
	ck_assert_int_eq(tl_rng_string(&b, "ABC", sb, 32, NULL), 0);
	ck_assert_str_eq(sa, sb);
	ck_assert_uint_eq(strspn(sa, "ABC"), 32);
	tl_rng_finish(&a);
	tl_rng_finish(&b);
	tl_rng_finish(&c);
}
END_TEST

START_TEST(rng_secure_differs)
{
	struct tl_rng r;
	char u1[TL_UUID_LEN], u2[TL_UUID_LEN];

	tl_rng_init_secure(&r);
	ck_assert_int_eq(tl_rng_uuid(&r, u1, NULL), 0);
	ck_assert_int_eq(tl_rng_uuid(&r, u2, NULL), 0);
	ck_assert_str_ne(u1, u2);
	tl_rng_finish(&r);
}
END_TEST

static char tmpdir[64];

static void
make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tl-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
remove_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(file_atomic_write_replaces)
{
	char path[128], *data;
	size_t len;
	struct tl_error err;
	struct stat st;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	ck_assert_int_eq(tl_file_write_atomic(path, "old", 3, 0600, &err), 0);
	ck_assert_int_eq(tl_file_write_atomic(path, "new content", 11, 0600, &err), 0);
	ck_assert_int_eq(tl_file_read(path, 100, &data, &len, &err), 0);
	ck_assert_uint_eq(len, 11);
	ck_assert_str_eq(data, "new content");
	free(data);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* No temporary file left behind. */
	{
		char cmd[256], out[16];
		FILE *f;
		snprintf(cmd, sizeof(cmd), "ls '%s' | wc -l", tmpdir);
		f = popen(cmd, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(out, sizeof(out), f));
		pclose(f);
		ck_assert_int_eq(atoi(out), 1);
	}
	remove_tmpdir();
}
END_TEST

START_TEST(file_atomic_write_failure_keeps_old)
{
	char path[128], *data;
	size_t len;
	struct tl_error err;

	if (geteuid() == 0) {
		/* root ignores directory permissions; use a missing directory instead. */
		ck_assert_int_eq(
			tl_file_write_atomic("/nonexistent-dir/x/state", "x", 1, 0600, &err), -1);
		ck_assert_int_eq(err.code, TL_ERR_IO);
		ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-dir/x/state"));
		return;
	}
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	ck_assert_int_eq(tl_file_write_atomic(path, "old", 3, 0600, &err), 0);
	ck_assert_int_eq(chmod(tmpdir, 0500), 0);
	ck_assert_int_eq(tl_file_write_atomic(path, "new", 3, 0600, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_IO);
	ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	ck_assert_int_eq(tl_file_read(path, 100, &data, &len, &err), 0);
	ck_assert_str_eq(data, "old");
	free(data);
	remove_tmpdir();
}
END_TEST

START_TEST(file_read_limits_and_errors)
{
	char path[128], *data = NULL;
	size_t len;
	struct tl_error err;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	ck_assert_int_eq(tl_file_write_atomic(path, "0123456789", 10, 0644, &err), 0);
	ck_assert_int_eq(tl_file_read(path, 9, &data, &len, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);
	ck_assert_int_eq(tl_file_read(path, 10, &data, &len, &err), 0);
	ck_assert_uint_eq(len, 10);
	free(data);
	ck_assert_int_eq(tl_file_read(tmpdir, 10, &data, &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "is a directory"));
	remove_tmpdir();

	ck_assert_int_eq(tl_file_read("/nonexistent/file", 10, &data, &len, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/file"));
}
END_TEST

START_TEST(path_helpers)
{
	char out[64];

	tl_path_dirname("scenarios/github/main.yaml", out, sizeof(out));
	ck_assert_str_eq(out, "scenarios/github");
	tl_path_dirname("main.yaml", out, sizeof(out));
	ck_assert_str_eq(out, ".");
	tl_path_dirname("/main.yaml", out, sizeof(out));
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(tl_path_join_relative("scenarios/a.yaml", "policies/p.json", out,
					       sizeof(out), NULL),
			 0);
	ck_assert_str_eq(out, "scenarios/policies/p.json");
	ck_assert_int_eq(
		tl_path_join_relative("scenarios/a.yaml", "/etc/p.json", out, sizeof(out), NULL),
		0);
	ck_assert_str_eq(out, "/etc/p.json");
	ck_assert_int_eq(tl_path_join_relative("a",
					       "0123456789012345678901234567890123456789"
					       "0123456789012345678901234567890123456789",
					       out, sizeof(out), NULL),
			 -1);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("error");
	tcase_add_test(tc, error_set_and_format);
	tcase_add_test(tc, error_format_truncates_safely);
	suite_add_tcase(s, tc);

	tc = tcase_create("buf");
	tcase_add_test(tc, buf_grows_to_cap_and_refuses_beyond);
	tcase_add_test(tc, buf_xml_escape_and_steal);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock");
	tcase_add_loop_test(tc, time_parse_table, 0, sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, clock_pinned_and_formatted);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_test(tc, rng_seeded_is_reproducible);
	tcase_add_test(tc, rng_secure_differs);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_test(tc, file_atomic_write_replaces);
	tcase_add_test(tc, file_atomic_write_failure_keeps_old);
	tcase_add_test(tc, file_read_limits_and_errors);
	tcase_add_test(tc, path_helpers);
	suite_add_tcase(s, tc);

	srunner_add_suite(sr, s);
}
