/*
 * key.c - the machine key: what makes "the same machine" across
 * re-enrollments and re-installs of the agent.  BLAKE2b-256 (libsodium's
 * crypto_generichash) of the identity sources the system gives
 * (agent_sys_identity()), so the server never sees the machine-id itself
 * (systemd's machine-id(5) asks that it not be exposed as is).
 */
#include <sodium.h>

#include "agent/agent-internal.h"
#include "util/cv.h"

void agent_blake2b_hex(const void *data, size_t len, char ret[65])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(ret, 65, h, sizeof(h));
}

int agent_machine_key(const char *root, char ret[65], char **ret_why)
{
	char *id = NULL;
	int r = agent_sys_identity(root, &id, ret_why);

	if (r < 0)
		return r;
	agent_blake2b_hex(id, strlen(id), ret);
	free(id);
	return 0;
}
