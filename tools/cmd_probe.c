/* SCAFFOLD: replaced by the CLI work. */
#include "cli.h"
int cmd_probe(const cli_args *a) {
  (void)a;
  cli_error(NULL, "'probe' not built");
  return EXIT_USAGE;
}
