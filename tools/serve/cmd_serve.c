/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight serve: set up, run until SIGTERM, clean up. */
#include "serve.h"
#include "webhook.h"

int cmd_serve(const cli_args *a) {
  srv_config c;
  srv_state s;
  http_block_signals(); /* before the first thread */
  if (srv_config_load(&c, a) != 0) {
    srv_config_free(&c);
    return EXIT_USAGE;
  }
  int rc = EXIT_USAGE;
  if (fetch_global_init() != 0)
    srv_log("cannot start libcurl");
  else {
    if (srv_init(&s, &c) == 0 && forward_start(&s) == 0)
      rc = http_run(&s);
    forward_stop(&s);
    srv_free(&s);
  }
  srv_config_free(&c);
  return rc;
}
