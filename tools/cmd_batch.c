/* wa-preflight batch: placeholder until its issue lands. */
#include "cli.h"

int cmd_batch(const cli_args *a) {
  (void)a;
  cli_error(NULL, "'batch' is not available in this build yet");
  return EXIT_USAGE;
}
