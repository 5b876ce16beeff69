/* check-stubs-b.c - TEMPORARY placeholders for the kernel/mem/storage/net/platform checks being written; removed before landing. */
#include "kit/kit-internal.h"
#include "util/cv.h"

#define STUB(name)                                             \
	void name(const struct kit_ctx *ctx, struct kit_out *out) \
	{                                                      \
		(void)ctx;                                     \
		kit_set(out, KIT_SKIP, "not implemented yet"); \
	}

STUB(kit_check_kernel_health)
STUB(kit_check_mem_pattern)
STUB(kit_check_storage_io_integrity)
STUB(kit_check_storage_inventory)
STUB(kit_check_net_inventory)
STUB(kit_check_net_loopback_integrity)
STUB(kit_check_net_peer_transfer)
STUB(kit_check_platform_security)
STUB(kit_check_firmware_smbios)

int kit_peer_serve(const char *listen_addr, volatile int *stop, void (*ready)(void *ud, int port), void *ud)
{
	(void)listen_addr;
	(void)stop;
	(void)ready;
	(void)ud;
	return -ENOSYS;
}
