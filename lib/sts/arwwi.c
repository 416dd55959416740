/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "util/clock.h"

#include "sts/arn.h"
#include "sts/arwwi.h"
#include "sts/sts-private.h"

static const char KEY_ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char SECRET_ALPHABET[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/* Real session tokens start with the base64 of a protobuf-ish header. */
static const char TOKEN_PREFIX[] = "IQoJb3JpZ2luX2Vj";

int
tl_sts_arwwi_parse(const struct tl_sts_query *q, const struct tl_sts_arwwi_options *opts,
		   struct tl_sts_arwwi_request *req, struct tl_sts_fault *fault)
{
	struct tl_sts_vmsg v;
	const char *arns[64];
	const char *duration;
	size_t count;
	long seconds = TL_STS_DURATION_DEFAULT;
	struct tl_sts_arn parsed;

	memset(req, 0, sizeof(*req));
	req->role_arn = tl_sts_query_get(q, "RoleArn");
	req->role_session_name = tl_sts_query_get(q, "RoleSessionName");
	req->web_identity_token = tl_sts_query_get(q, "WebIdentityToken");
	req->provider_id = tl_sts_query_get(q, "ProviderId");
	req->policy = tl_sts_query_get(q, "Policy");
	duration = tl_sts_query_get(q, "DurationSeconds");

	/* Type errors come before constraints: Coral deserialises first. */
	if (duration && !tl_sts_parse_int(duration, &seconds))
		return tl_sts_fault_set(fault, TL_STS_INVALID_PARAMETER_VALUE,
					"Value '%s' for parameter DurationSeconds is invalid. It "
					"must be an integer.",
					duration);
	if (tl_sts_query_list(q, "PolicyArns", ".arn", arns, 64, true, &count, fault) < 0)
		return -1;

	tl_sts_vmsg_init(&v);
	if (!req->role_arn)
		tl_sts_vmsg_add(&v, "roleArn", NULL, false, "Member must not be null");
	else if (tl_sts_check_length(&v, "roleArn", req->role_arn, false, 20, 2048))
		tl_sts_check_pattern(&v, "roleArn", req->role_arn, false, tl_sts_cp_arn,
				     TL_STS_PATTERN_ARN);
	if (!req->role_session_name)
		tl_sts_vmsg_add(&v, "roleSessionName", NULL, false, "Member must not be null");
	else if (tl_sts_check_length(&v, "roleSessionName", req->role_session_name, false, 2, 64))
		tl_sts_check_pattern(&v, "roleSessionName", req->role_session_name, false,
				     tl_sts_cp_name, "[\\w+=,.@-]*");
	/* sensitive member: AWS leaves the value out of the message */
	if (!req->web_identity_token)
		tl_sts_vmsg_add(&v, "webIdentityToken", NULL, true, "Member must not be null");
	else
		tl_sts_check_length(&v, "webIdentityToken", req->web_identity_token, true, 4,
				    20000);
	if (req->provider_id)
		tl_sts_check_length(&v, "providerId", req->provider_id, false, 4, 2048);
	if (count > TL_STS_POLICY_ARNS_MAX)
		tl_sts_vmsg_add(&v, "policyArns", NULL, true,
				"Member must have length less than or equal to %d",
				TL_STS_POLICY_ARNS_MAX);
	for (size_t i = 0; i < count && i < TL_STS_POLICY_ARNS_MAX; i++) {
		char member[64];

		snprintf(member, sizeof(member), "policyArns.%zu.member.arn", i + 1);
		if (tl_sts_check_length(&v, member, arns[i], false, 20, 2048))
			tl_sts_check_pattern(&v, member, arns[i], false, tl_sts_cp_arn,
					     TL_STS_PATTERN_ARN);
		req->policy_arns[i] = arns[i];
	}
	req->policy_arn_count = count < TL_STS_POLICY_ARNS_MAX ? count : TL_STS_POLICY_ARNS_MAX;
	if (req->policy && tl_sts_check_length(&v, "policy", req->policy, false, 1, 2048))
		tl_sts_check_pattern(&v, "policy", req->policy, false, tl_sts_cp_latin1,
				     TL_STS_PATTERN_POLICY);
	if (duration && seconds < TL_STS_DURATION_MIN)
		tl_sts_vmsg_add(&v, "durationSeconds", duration, false,
				"Member must have value greater than or equal to %d",
				TL_STS_DURATION_MIN);
	else if (duration && seconds > TL_STS_DURATION_MAX)
		tl_sts_vmsg_add(&v, "durationSeconds", duration, false,
				"Member must have value less than or equal to %d",
				TL_STS_DURATION_MAX);
	if (tl_sts_vmsg_fault(&v, fault) < 0) {
		tl_sts_vmsg_finish(&v);
		return -1;
	}
	tl_sts_vmsg_finish(&v);

	if (tl_sts_arn_parse(req->role_arn, &parsed) < 0)
		return tl_sts_fault_set(fault, TL_STS_VALIDATION_ERROR, "%s is invalid",
					req->role_arn);
	for (size_t i = 0; i < req->policy_arn_count; i++) {
		if (tl_sts_arn_parse(req->policy_arns[i], &parsed) < 0)
			return tl_sts_fault_set(fault, TL_STS_VALIDATION_ERROR, "%s is invalid",
						req->policy_arns[i]);
	}
	if (req->provider_id && !(opts && opts->allow_provider_id))
		return tl_sts_fault_set(fault, TL_STS_INVALID_PARAMETER_VALUE,
					"ProviderId is only valid for OAuth 2.0 access tokens "
					"from www.amazon.com or graph.facebook.com; do not "
					"specify it for an OpenID Connect ID token");
	req->duration_seconds = (int)seconds;
	req->duration_given = duration != NULL;
	return 0;
}

int
tl_sts_arwwi_check_duration(const struct tl_sts_arwwi_request *req, int max_session_duration,
			    struct tl_sts_fault *fault)
{
	if (req->duration_seconds > max_session_duration)
		return tl_sts_fault_set(fault, TL_STS_VALIDATION_ERROR,
					"The requested DurationSeconds exceeds the "
					"MaxSessionDuration set for this role.");
	return 0;
}

int
tl_sts_credentials_generate(struct tl_rng *rng, int64_t expiration, struct tl_sts_credentials *out,
			    struct tl_error *err)
{
	size_t prefix = sizeof(TOKEN_PREFIX) - 1;

	memcpy(out->access_key_id, "ASIA", 4);
	memcpy(out->session_token, TOKEN_PREFIX, prefix);
	if (tl_rng_string(rng, KEY_ALPHABET, out->access_key_id + 4, TL_STS_ACCESS_KEY_ID_LEN - 4,
			  err) < 0 ||
	    tl_rng_string(rng, SECRET_ALPHABET, out->secret_access_key,
			  TL_STS_SECRET_ACCESS_KEY_LEN, err) < 0 ||
	    tl_rng_string(rng, SECRET_ALPHABET, out->session_token + prefix,
			  TL_STS_SESSION_TOKEN_LEN - prefix, err) < 0)
		return -1;
	out->expiration = expiration;
	return 0;
}

int
tl_sts_role_id_generate(struct tl_rng *rng, char out[TL_STS_ROLE_ID_LEN + 1], struct tl_error *err)
{
	memcpy(out, "AROA", 4);
	return tl_rng_string(rng, KEY_ALPHABET, out + 4, TL_STS_ROLE_ID_LEN - 4, err);
}

/* Appends `<tag>text</tag>\n` at `indent` spaces. */
static int
element(struct tl_buf *out, int indent, const char *tag, const char *text, struct tl_error *err)
{
	if (tl_buf_printf(out, err, "%*s<%s>", indent, "", tag) < 0 ||
	    tl_sts_xml_text(out, text, err) < 0 || tl_buf_printf(out, err, "</%s>\n", tag) < 0)
		return -1;
	return 0;
}

int
tl_sts_xml_metadata(struct tl_buf *out, const char *action, const char *request_id,
		    struct tl_error *err)
{
	if (tl_buf_append_str(out, "  <ResponseMetadata>\n", err) < 0 ||
	    element(out, 4, "RequestId", request_id ? request_id : "", err) < 0 ||
	    tl_buf_printf(out, err, "  </ResponseMetadata>\n</%sResponse>\n", action) < 0)
		return -1;
	return 0;
}

static int
fail_reset(struct tl_buf *out, size_t start)
{
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return -1;
}

int
tl_sts_arwwi_response_xml(struct tl_buf *out, const struct tl_sts_arwwi_response *r,
			  const char *request_id, struct tl_error *err)
{
	size_t start = out->len;
	char expiration[TL_TIME_ISO8601_LEN];

	tl_time_format_iso8601(r->expiration, expiration);
	if (tl_buf_printf(out, err,
			  "<AssumeRoleWithWebIdentityResponse xmlns=\"%s\">\n"
			  "  <AssumeRoleWithWebIdentityResult>\n",
			  tl_sts_service_namespace(TL_STS_SERVICE_STS)) < 0 ||
	    element(out, 4, "SubjectFromWebIdentityToken", r->subject, err) < 0 ||
	    element(out, 4, "Audience", r->audience, err) < 0 ||
	    tl_buf_append_str(out, "    <AssumedRoleUser>\n", err) < 0 ||
	    element(out, 6, "Arn", r->assumed_role_arn, err) < 0 ||
	    element(out, 6, "AssumedRoleId", r->assumed_role_id, err) < 0 ||
	    tl_buf_append_str(out, "    </AssumedRoleUser>\n    <Credentials>\n", err) < 0 ||
	    element(out, 6, "SessionToken", r->session_token, err) < 0 ||
	    element(out, 6, "SecretAccessKey", r->secret_access_key, err) < 0 ||
	    element(out, 6, "Expiration", expiration, err) < 0 ||
	    element(out, 6, "AccessKeyId", r->access_key_id, err) < 0 ||
	    tl_buf_append_str(out, "    </Credentials>\n", err) < 0)
		return fail_reset(out, start);
	if (r->packed_policy_size >= 0 &&
	    tl_buf_printf(out, err, "    <PackedPolicySize>%d</PackedPolicySize>\n",
			  r->packed_policy_size) < 0)
		return fail_reset(out, start);
	if (r->source_identity && element(out, 4, "SourceIdentity", r->source_identity, err) < 0)
		return fail_reset(out, start);
	if (element(out, 4, "Provider", r->provider, err) < 0 ||
	    tl_buf_append_str(out, "  </AssumeRoleWithWebIdentityResult>\n", err) < 0 ||
	    tl_sts_xml_metadata(out, "AssumeRoleWithWebIdentity", request_id, err) < 0)
		return fail_reset(out, start);
	return 0;
}

int
tl_sts_caller_identity_xml(struct tl_buf *out, const char *arn, const char *user_id,
			   const char *account, const char *request_id, struct tl_error *err)
{
	size_t start = out->len;

	if (tl_buf_printf(out, err,
			  "<GetCallerIdentityResponse xmlns=\"%s\">\n"
			  "  <GetCallerIdentityResult>\n",
			  tl_sts_service_namespace(TL_STS_SERVICE_STS)) < 0 ||
	    element(out, 4, "Arn", arn, err) < 0 || element(out, 4, "UserId", user_id, err) < 0 ||
	    element(out, 4, "Account", account, err) < 0 ||
	    tl_buf_append_str(out, "  </GetCallerIdentityResult>\n", err) < 0 ||
	    tl_sts_xml_metadata(out, "GetCallerIdentity", request_id, err) < 0)
		return fail_reset(out, start);
	return 0;
}
