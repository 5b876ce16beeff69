/*
 * win/peer.c - `covalid kit peer` on Windows: not served.  The peer is
 * the other host of net.peer_transfer and time.reference, a Linux one
 * (src/kit/peer.c); the Windows kit is its client only (win/net.c).
 */
#include "covalid/kit.h"
#include "util/cv.h"

int kit_peer_serve(const char *listen_addr, volatile int *stop, void (*ready)(void *ud, int port), void *ud)
{
	(void)listen_addr;
	(void)stop;
	(void)ready;
	(void)ud;
	return -ENOSYS;
}
