/*
 * error.c - errors as named values.
 *
 * Each sh_err has a stable rule code (what scripts, receipts and the audit
 * log carry) and a sentence (what a person reads). Callers add the field or
 * line that was wrong; they never add the offending value, because that
 * value may be personal data.
 */
#include <string.h>

#include "seinhuis.h"

static const struct {
	const char *rule;
	const char *text;
} table[SH_ERR__COUNT] = {
    [SH_OK] = {"OK", "success"},
    [SH_ERR_SYS] = {"SYSTEM", "an operating-system call failed"},
    [SH_ERR_NOMEM] = {"NOMEM", "out of memory"},
    [SH_ERR_USAGE] = {"USAGE", "the command was not used as documented"},
    [SH_ERR_CONFIG] = {"CONFIG", "the configuration is not valid"},
    [SH_ERR_KEYFILE] =
        {"KEYFILE", "a key file is missing, malformed or readable by others"},
    [SH_ERR_CARD] = {"CARD", "the partner card is not valid"},
    [SH_ERR_EXISTS] = {"EXISTS", "refusing to overwrite an existing file"},
    [SH_ERR_NOTFOUND] = {"NOT_FOUND", "no such item"},
    [SH_ERR_CRYPTO] = {"CRYPTO", "a cryptographic operation failed"},
    [SH_ERR_STORE] = {"STORE", "the local store (LMDB) reported an error"},
    [SH_ERR_STORE_FULL] =
        {"STORAGE_FULL",
         "storage full: the data store has no room for new signals"},
    [SH_ERR_STORE_CORRUPT] = {"STORE_CORRUPT",
                              "a stored record is damaged and cannot be read"},
    [SH_ERR_WIRE_DECODE] = {"WIRE_DECODE",
                            "the message is not a valid Seinhuis message"},
    [SH_ERR_WIRE_VERSION] = {"WIRE_VERSION",
                             "the message format version is not supported"},
    [SH_ERR_WIRE_SIZE] = {"WIRE_SIZE", "the message is larger than allowed"},
    [SH_ERR_SIGNATURE] = {"SIGNATURE",
                          "the sender's signature does not verify"},
    [SH_ERR_SENDER] = {"SENDER",
                       "the signal's sender is not the authenticated partner"},
    [SH_ERR_RECIPIENT] = {"RECIPIENT",
                          "the signal is addressed to another partner"},
    [SH_ERR_UNTRUSTED] = {"UNTRUSTED", "the partner is not in the trust store"},
    [SH_ERR_FIELD_UNKNOWN] = {"FIELD_UNKNOWN",
                              "the field is not known for this signal type"},
    [SH_ERR_FIELD_VALUE] = {"FIELD_VALUE",
                            "the field value does not have the required form"},
    [SH_ERR_FIELD_MISSING] = {"FIELD_MISSING", "a required field is missing"},
    [SH_ERR_TYPE] = {"SIGNAL_TYPE", "the signal type is not known"},
    [SH_ERR_SEAL] = {"SEAL", "the sealed personal data cannot be opened"},
    [SH_ERR_DUPLICATE] = {"DUPLICATE", "this message id was seen before"},
    [SH_ERR_CONTROL] = {"CONTROL", "the control request is malformed"},
    [SH_ERR_DENIED] = {"DENIED", "the caller is not allowed to do this"},
    [SH_ERR_TIMEOUT] = {"TIMEOUT", "no answer in time"},
    [SH_ERR_CONNECT] = {"CONNECT", "cannot reach the daemon's control socket"},
    [SH_ERR_CATALOGUE] = {"CATALOGUE", "the signal catalogue is not valid"},
    [SH_ERR_FIELD_FORMAT] =
        {"FIELD_FORMAT",
         "the value does not have the form the catalogue requires"},
    [SH_ERR_FIELD_RANGE] =
        {"FIELD_RANGE", "the value is outside the range the catalogue allows"},
    [SH_ERR_FIELD_ENUM] =
        {"FIELD_ENUM",
         "the value is not one of the words the catalogue allows"},
    [SH_ERR_FIELD_FUTURE] = {"FIELD_FUTURE", "the date lies in the future"},
    [SH_ERR_FIELD_ROLE] =
        {"FIELD_ROLE", "this field may not be sent by a partner of this role"},
    [SH_ERR_SENDER_ROLE] =
        {"SENDER_ROLE", "a partner of this role may not send this signal type"},
    [SH_ERR_RECIPIENT_ROLE] =
        {"RECIPIENT_ROLE",
         "a partner of this role may not receive this signal type"},
    [SH_ERR_LEGAL_BASIS] =
        {"LEGAL_BASIS", "this legal basis is not allowed for this signal type"},
    [SH_ERR_CONDITION] =
        {"CONDITION", "a rule of the catalogue for this signal type is broken"},
    [SH_ERR_CONSENT] =
        {"CONSENT",
         "there is no valid consent of the resident for this signal"},
    [SH_ERR_RATE_LIMIT] =
        {"RATE_LIMIT", "the partner sends more signals a second than allowed"},
    [SH_ERR_STALE] =
        {"STALE", "the signal was created outside the accepted time window"},
    [SH_ERR_CASE_CLAIMED] = {"CASE_CLAIMED",
                             "the case is claimed by another caseworker"},
    [SH_ERR_CASE_OWNER] =
        {"CASE_OWNER", "only the caseworker who claimed the case may do this"},
    [SH_ERR_CASE_STEP] =
        {"CASE_STEP",
         "not an outreach step, or a step the creditor is not told about"},
    [SH_ERR_FEEDBACK] =
        {"FEEDBACK",
         "the catalogue does not allow status feedback on this signal"},
    [SH_ERR_ROUTE] = {"ROUTE", "the signal cannot be routed to a partner"},
    [SH_ERR_CONSENT_REVOKED] =
        {"CONSENT_REVOKED",
         "the resident withdrew the consent for this signal"},
    [SH_ERR_KEY_EXPIRED] = {"KEY_EXPIRED",
                            "the partner's previous key is no longer accepted: "
                            "its overlap after a key rotation has ended"},
    [SH_ERR_PERSONAL] =
        {"PERSONAL_DATA",
         "a resident's personal data where it would travel or be kept "
         "unsealed"},
};

const char *sh_err_rule(sh_err e)
{
	if (e < 0 || e >= SH_ERR__COUNT || !table[e].rule)
		return "UNKNOWN";
	return table[e].rule;
}

/* The error whose rule is `rule`, from `from` on; SH_ERR__COUNT if none.
 * (Every receipt's rule is looked up, most of them the empty one of an
 * accepted signal: the first letters are compared before the rest.) */
static int rule_at(const char *rule, int from)
{
	for (int e = from; rule && e < SH_ERR__COUNT; e++)
		if (table[e].rule && table[e].rule[0] == rule[0] &&
		    strcmp(table[e].rule, rule) == 0)
			return e;
	return SH_ERR__COUNT;
}

const char *sh_err_known_rule(const char *rule)
{
	int e = rule_at(rule, 0);
	return e < SH_ERR__COUNT ? table[e].rule : "UNKNOWN";
}

sh_err sh_err_of_rule(const char *rule)
{
	return (sh_err)rule_at(rule, SH_OK + 1);
}

const char *sh_err_str(sh_err e)
{
	if (e < 0 || e >= SH_ERR__COUNT || !table[e].text)
		return "unknown error";
	return table[e].text;
}
