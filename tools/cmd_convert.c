/* wa-preflight convert: placeholder until its issue lands. */
#include "cli.h"

int cmd_convert(const cli_args *a) {
  (void)a;
  cli_error(NULL, "'convert' is not available in this build yet");
  return EXIT_USAGE;
}
