#include "app.h"
int cmd_balances(struct app *a, int argc, char **argv) { (void)a; (void)argc; (void)argv; return 1; }
int cmd_history(struct app *a, int argc, char **argv) { (void)a; (void)argc; (void)argv; return 1; }
