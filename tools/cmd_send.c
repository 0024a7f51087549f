/* wa-preflight send: placeholder until its issue lands. */
#include "cli.h"

int cmd_send(const cli_args *a) {
  (void)a;
  cli_error(NULL, "'send' is not available in this build yet");
  return EXIT_USAGE;
}
