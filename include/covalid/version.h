/* covalid/version.h - the release this tree builds. */
#ifndef COVALID_VERSION_H
#define COVALID_VERSION_H

#define COVALID_VERSION "0.1.0"

#endif
