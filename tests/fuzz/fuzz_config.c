/*
 * fuzz_config - the daemon's configuration file: sh_config_parse over the
 * input as text (sh_kv_parse, sh_parse_size, sh_parse_u32 underneath).
 * What it accepts must meet the rules seinhuisd.conf(5) states, since the
 * daemon trusts a parsed configuration without checking it again.
 */
#include <string.h>

#include "fuzz.h"

#define FAIL(what) fuzz_fail("fuzz_config", what)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sh_config cfg;
	char why[600];
	why[0] = '\0';
	sh_err e =
	    sh_config_parse(&cfg, (const char *)data, size, why, sizeof(why));
	if (e != SH_OK) {
		if (e != SH_ERR_CONFIG || !why[0])
			FAIL("a refusal without rule CONFIG and a reason");
		if (!memchr(why, '\0', sizeof(why)))
			FAIL("reason not terminated");
		return 0;
	}
	if (!cfg.keydir[0] || !cfg.trustdir[0] || !cfg.datadir[0] ||
	    !cfg.control[0])
		FAIL("a required path is empty");
	if (strncmp(cfg.listen, "tcp://", 6) != 0)
		FAIL("listen is not a tcp:// endpoint");
	if (strlen(cfg.control) >= 108)
		FAIL("control socket path does not fit sun_path");
	if (cfg.map_size < (1u << 20))
		FAIL("map_size below 1M");
	if (cfg.max_message < 4096 || cfg.max_message > (64u << 20))
		FAIL("max_message outside 4K..64M");
	if (cfg.log_level < SH_LOG_ERROR || cfg.log_level > SH_LOG_DEBUG)
		FAIL("log_level out of range");
	if (cfg.log_syslog != 0 && cfg.log_syslog != 1)
		FAIL("log_syslog not a boolean");
	if (cfg.retry_min_ms < 10 || cfg.retry_min_ms > 600000 ||
	    cfg.retry_max_ms < 100 || cfg.retry_max_ms > 3600000 ||
	    cfg.retry_min_ms > cfg.retry_max_ms)
		FAIL("retry bounds outside their ranges");
	if (cfg.window < 1 || cfg.window > 1000000 || cfg.batch_max < 1 ||
	    cfg.batch_max > 1024)
		FAIL("window or batch_max outside its range");
	if (!cfg.catalogue[0] || cfg.retention_interval_s < 1 ||
	    cfg.retention_interval_s > 86400)
		FAIL("catalogue or retention_interval outside its range");
	if (!memchr(cfg.catalogue, '\0', sizeof(cfg.catalogue)) ||
	    !memchr(cfg.control_group, '\0', sizeof(cfg.control_group)))
		FAIL("a configuration string is not terminated");
	return 0;
}
