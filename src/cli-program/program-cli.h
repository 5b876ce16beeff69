/* program-cli.h - the commands of covalid-server: serving the program, and talking to it over HTTP. */
#ifndef COVALID_PROGRAM_CLI_H
#define COVALID_PROGRAM_CLI_H

#include "covalid/store.h"

int cmd_serve(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_webhook(int argc, char **argv);

#endif
