/* wa-preflight serve: set up, run until SIGTERM, clean up. */
#include "serve.h"
#include "webhook.h"

int cmd_serve(const cli_args *a) {
  srv_config c;
  if (srv_config_load(&c, a) != 0) {
    srv_config_free(&c);
    return EXIT_USAGE;
  }
  int rc = EXIT_USAGE;
  if (fetch_global_init() != 0)
    srv_log("cannot start libcurl");
  else if (spool_init() == 0) {
    if (gate_init(c.workers, c.queue) != 0)
      srv_log("cannot start the watchdog");
    else if (forward_start(&c) == 0)
      rc = http_run(&c);
    forward_stop();
    gate_shutdown();
    spool_shutdown();
  }
  srv_config_free(&c);
  return rc;
}
