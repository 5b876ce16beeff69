/*
 * commands-guest.c - the commands that run in a guest (probe, kit, key):
 * their rows of the command table, shared by covalid (src/cli/main.c)
 * and the static guest binaries (src/cli-guest/main.c), so that the two
 * cannot drift apart.  Nothing here may reach the store, the catalog or
 * the server: the guest binaries link only these commands' files.
 */
#include "cli/cli.h"
#include "util/cv.h"

const struct cli_command cli_guest_commands[] = {
	{ "probe", cmd_probe, "say what this machine is: hypervisor, container, guest OS, VM, integration components",
	  "usage: covalid probe [--json] [--root DIR] [--capture DIR]\n"
	  "\n"
	  "Reports this machine's descriptor: the hypervisor it runs on (in\n"
	  "systemd-detect-virt's vocabulary) with every source read and what it\n"
	  "suggests, where sources disagree and which one was followed, the\n"
	  "container, the guest OS (with its libosinfo short-id), vCPUs, memory,\n"
	  "firmware, disks and NICs with their drivers, and the integration\n"
	  "components expected, present and missing.\n"
	  "\n"
	  "  --json         print the descriptor as JSON (schema covalid.descriptor/1,\n"
	  "                 docs/descriptor.md)\n"
	  "  --root DIR     read DIR/proc, DIR/sys, DIR/etc and DIR/cpuid.txt instead\n"
	  "                 of this machine (a captured or hand-made machine)\n"
	  "  --capture DIR  also copy every source read into DIR, so that\n"
	  "                 `covalid probe --root DIR` replays this report\n"
	  "\n"
	  "Exit status: 0 on a report (even with unknown fields), 2 if DIR does\n"
	  "not exist or an option is wrong, 3 on an internal error.\n" },
	{ "kit", cmd_kit, "run the validation kit in this guest; sign and verify its test logs",
	  "usage: covalid kit list [--json]\n"
	  "       covalid kit run [--quick] [--only IDS] [--skip IDS] [--expect-vcpus N]\n"
	  "                       [--expect-memory MIB] [--peer HOST:PORT] [--dir DIR]\n"
	  "                       [--out LOG] [--sign KEY] [--junit FILE] [--json]\n"
	  "       covalid kit sign LOG --key KEY [--out FILE]\n"
	  "       covalid kit verify LOG --pubkey PUB\n"
	  "       covalid kit peer [--listen HOST:PORT]\n"
	  "\n"
	  "  list     every check: its id, what it measures, its pass criterion, and\n"
	  "           whether it needs root (docs/kit.md)\n"
	  "  run      runs the checks in this guest, each in its own process with a\n"
	  "           time limit, in a private temporary directory under --dir (default\n"
	  "           $TMPDIR or /var/tmp) removed afterwards; writes the test log\n"
	  "           (docs/testlog.md) to --out (default covalid-testlog-HOST-TIME.json),\n"
	  "           signed with --sign KEY; --junit writes JUnit XML; --quick keeps the\n"
	  "           whole run within 5 s; --only and --skip take ids or families\n"
	  "           (time, cpu, ...), comma-separated\n"
	  "  sign     signs (or re-signs) a test log in place, or into --out\n"
	  "  verify   exit 0 only if the log is exactly as signed by PUB (a .pub file\n"
	  "           or the key itself, ed25519:BASE64)\n"
	  "  peer     the far end of net.peer_transfer and time.reference (default 0.0.0.0:7537)\n"
	  "\n"
	  "Exit status: run: 0 if no check failed or erred, 1 otherwise; verify: 0 good\n"
	  "signature, 1 bad or missing signature or a changed log; 2 usage or\n"
	  "unreadable input; 3 internal error.\n" },
	{ "key", cmd_key, "make an Ed25519 key pair for signing test logs",
	  "usage: covalid key generate --out KEY [--force]\n"
	  "\n"
	  "Writes the secret key to KEY (mode 0600) and the public key to KEY.pub, and\n"
	  "prints the public key and its id.  Refuses to overwrite KEY without --force.\n" },
	{ "agent", cmd_agent, "the monitoring agent: enroll this machine with a server, report to it",
	  "usage: covalid agent enroll --server URL --token-file TOKEN --state DIR\n"
	  "                            [--name NAME] [--interval S] [--customer ID]\n"
	  "       covalid agent run --state DIR [--root DIR] [--interval S] [--once] [--quiet]\n"
	  "       covalid agent status --state DIR [--json]\n"
	  "       covalid agent service install --state DIR | uninstall    (Windows)\n"
	  "\n"
	  "  enroll   enrolls this machine with the server at URL (http://HOST[:PORT])\n"
	  "           for the customer whose administrator's token is in TOKEN (the\n"
	  "           owner's token needs --customer); the machine's own credential\n"
	  "           is kept in DIR/agent.json (mode 0600).  Enrolling the same\n"
	  "           machine again keeps its machine id.  --name defaults to the\n"
	  "           host name, --interval (10..86400 s) to the server's\n"
	  "  run      reports to the server every interval (+-10 %): the descriptor\n"
	  "           (as covalid probe --json makes it; --root replays a captured\n"
	  "           machine) only when it changed, and the machine's health (CPU,\n"
	  "           memory, disks, load, clock offset, integration components,\n"
	  "           kernel or event-log errors since the last report).  Reports\n"
	  "           that cannot be sent wait in DIR/spool (bounded) and are sent\n"
	  "           in order later.  --once sends the spool and one report, then\n"
	  "           exits; SIGTERM stops the loop\n"
	  "  status   what DIR holds: the enrollment, the spool, the last report\n"
	  "  service  Windows: installs or removes the service covalid-agent, which\n"
	  "           runs `agent run --service --state DIR`\n"
	  "\n"
	  "Exit status: 0 done (run --once: every report delivered); 1 reports stay\n"
	  "spooled (the server is down or busy); 2 bad input, state or credential, or\n"
	  "the server refused (one line names which); 3 internal error.\n" },
	};

const size_t cli_guest_ncommands = CV_ELEMENTSOF(cli_guest_commands);
