/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "issuer/issuer.h"

#define TL_ISSUER_MAX 32

bool tl_issuer_prefix_valid(const char *prefix);
/* Adds one issuer per enabled profile when the config names none. */
int tl_issuer_config_expand(struct tl_issuer_config *cfg, struct tl_error *err);
