/* program-cli.h - the commands of covalid-server: serving the program, and talking to it over HTTP. */
#ifndef COVALID_PROGRAM_CLI_H
#define COVALID_PROGRAM_CLI_H

#include "covalid/store.h"

int cmd_serve(int argc, char **argv);
int cmd_admin(int argc, char **argv);
/* admin backup, admin migrate (cmd-admin-db.c): argv[0] is "backup" or "migrate". */
int cmd_admin_backup(int argc, char **argv);
int cmd_admin_migrate(int argc, char **argv);
/* admin demo (cmd-admin-demo.c): the seed's support programme to try, in a local database. */
int cmd_admin_demo(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_webhook(int argc, char **argv);

#endif
