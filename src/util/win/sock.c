/* sock.c - Winsock started once, its errors as errno (util/win/sock.h). */
#include <errno.h>
#include <winsock2.h>

#include "util/win/sock.h"

int cv_winsock_start(void)
{
	static int started; /* 1 started, -1 failed */
	WSADATA w;

	if (!started)
		started = WSAStartup(MAKEWORD(2, 2), &w) == 0 ? 1 : -1;
	return started > 0 ? 0 : -ENOSYS;
}

int cv_wsa_errno(int e)
{
	switch (e) {
	case WSAETIMEDOUT: return ETIMEDOUT;
	case WSAECONNREFUSED: return ECONNREFUSED;
	case WSAECONNRESET: return ECONNRESET;
	case WSAECONNABORTED: return ECONNABORTED;
	case WSAEHOSTUNREACH: return EHOSTUNREACH;
	case WSAENETUNREACH: return ENETUNREACH;
	case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
	case WSAEINTR: return EINTR;
	default: return EIO;
	}
}
