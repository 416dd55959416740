/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for role sources (lib/rolesrc): the bytes as JSON and as
 * YAML, detected and forced to each structured format (Terraform plan and
 * state, CloudFormation with its intrinsic functions, the IAM outputs).
 * Built as the other targets are (tests/fuzz/meson.build); its seeds are the
 * fixtures of tests/data/rolesrc, good and refused (tests/fuzz/make-seeds.sh).
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "rolesrc/rolesrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load(const uint8_t *data, size_t size, const char *name, enum tl_rolesrc_format format)
{
	struct tl_rolesrc_options opt = {.format = format, .account = "123456789012"};
	struct tl_rolesrc *set = tl_rolesrc_new();
	struct tl_error err;
	if (!set)
		return;
	tl_error_clear(&err);
	if (tl_rolesrc_load(set, (const char *)data, size, name, &opt, &err) < 0) {
		if (err.code == TL_OK || !err.message[0] || tl_rolesrc_role_count(set))
			abort(); /* a failure must say why, and leave the set as it was */
	}
	for (size_t i = 0; i < tl_rolesrc_role_count(set); i++) {
		const struct tl_rolesrc_role *r = tl_rolesrc_role(set, i);
		if (!r->name || !r->policy || !r->where)
			abort();
		json_decref(tl_rolesrc_role_federated(r));
		tl_rolesrc_policy_size(r->policy);
		tl_rolesrc_role_matches(r, "*");
	}
	tl_rolesrc_free(set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tl_rolesrc_format forced[] = {
		TL_ROLESRC_TERRAFORM_PLAN,  TL_ROLESRC_TERRAFORM_STATE, TL_ROLESRC_CLOUDFORMATION,
		TL_ROLESRC_ACCOUNT_DETAILS, TL_ROLESRC_GET_ROLE,	TL_ROLESRC_OIDC_LIST,
	};
	load(data, size, "fuzz.json", TL_ROLESRC_AUTO);
	load(data, size, "fuzz.yaml", TL_ROLESRC_AUTO);
	for (size_t i = 0; i < sizeof(forced) / sizeof(forced[0]); i++)
		load(data, size, "fuzz", forced[i]);
	return 0;
}
