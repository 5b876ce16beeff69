/* covalid/covalid.h - program-wide facts: the release this tree builds. */
#ifndef COVALID_COVALID_H
#define COVALID_COVALID_H

#define COVALID_VERSION "0.1.0"

#endif
