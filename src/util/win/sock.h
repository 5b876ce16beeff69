/*
 * util/win/sock.h - Winsock for the guest side's Windows files (the
 * agent's connection, the kit's network checks): started once per
 * process, its errors read as errno values so that the portable code
 * above them says the same words on both systems.
 */
#ifndef COVALID_UTIL_WIN_SOCK_H
#define COVALID_UTIL_WIN_SOCK_H

/* WSAStartup(2.2) once per process: 0, or -ENOSYS when it failed. */
int cv_winsock_start(void);
/* A WSAGetLastError() value as a positive errno (EIO for the others). */
int cv_wsa_errno(int wsa_error);

#endif
