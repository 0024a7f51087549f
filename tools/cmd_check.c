/* SCAFFOLD: replaced by the CLI work. */
#include "cli.h"
int cmd_check(const cli_args *a) {
  (void)a;
  cli_error(NULL, "'check' not built");
  return EXIT_USAGE;
}
