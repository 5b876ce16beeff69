/* server-cli.h - the commands of covalid-server. */
#ifndef COVALID_SERVER_CLI_H
#define COVALID_SERVER_CLI_H

#include "covalid/store.h"

int cmd_serve(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_case(int argc, char **argv);

#endif
